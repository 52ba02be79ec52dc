import { spawn } from 'node:child_process';
import { join } from 'node:path';

const REPO = join(__dirname, '../../..');

/**
 * Runs `script` (with createLogger in scope) in a process of its own; its stdout as lines. When a
 * line with msg `answer` arrives, the child is told so on its stdin.
 */
function run(script: string, answer?: string): Promise<{ code: number | null; lines: Record<string, unknown>[] }> {
  const source = `const { createLogger } = require(${JSON.stringify(join(__dirname, 'logger'))});\n${script}`;
  const child = spawn(process.execPath, ['-r', '@swc-node/register', '-e', source], {
    cwd: REPO,
    env: { ...process.env, SWC_NODE_PROJECT: join(REPO, 'tsconfig.run.json') },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines: Record<string, unknown>[] = [];
  let rest = '';
  child.stdout.on('data', (chunk) => {
    const parts = (rest + String(chunk)).split('\n');
    rest = parts.pop() ?? '';
    for (const part of parts) {
      if (!part) continue;
      lines.push(JSON.parse(part));
      if (lines[lines.length - 1].msg === answer) child.stdin.write('seen\n');
    }
  });
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, lines })));
}

describe('createLogger on stdout (lines written in batches)', () => {
  it('when a process logs a few lines and exits on its own, then every line is on stdout, in order', async () => {
    const { code, lines } = await run(`const log = createLogger('t', 'info'); log.info('one'); log.warn({ n: 2 }, 'two'); log.debug('hidden');`);
    expect(code).toBe(0);
    expect(lines.map((l) => l.msg)).toEqual(['one', 'two']);
    expect(lines[1]).toMatchObject({ app: 't', level: 40, n: 2, time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
  }, 30_000);

  it('when a process logs one line and keeps running, then the line comes out without waiting for a full batch or the exit', async () => {
    // The child goes on only once the parent has read its line; if the line waited for the exit, the child gives up (exit 5).
    const script = `const log = createLogger('t', 'info'); log.info('early');
      process.stdin.once('data', () => { log.info('late'); process.exit(0); });
      setTimeout(() => process.exit(5), 15000);`;
    const { code, lines } = await run(script, 'early');
    expect(code).toBe(0);
    expect(lines.map((l) => l.msg)).toEqual(['early', 'late']);
  }, 30_000);

  it('when a process calls process.exit right after logging, then the line is still written', async () => {
    const { code, lines } = await run(`const log = createLogger('t', 'info'); log.error('bye'); process.exit(3);`);
    expect(code).toBe(3);
    expect(lines.map((l) => l.msg)).toEqual(['bye']);
  }, 30_000);
});
