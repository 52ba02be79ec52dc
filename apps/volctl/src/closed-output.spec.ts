import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cleanEnv, VOLCTL } from './test-support/run-volctl';

// volctl as a child process (from the sources, ~2 s to start) whose stdout is a pipe that its reader closes.
jest.setTimeout(60_000);

/** Runs volctl with stdout piped to a reader that closes it after `keep` chunks (0: before anything is written). */
function runIntoClosingReader(args: string[], env: Record<string, string>, keep: number): Promise<{ code: number | null; signal: string | null; stderr: string; chunks: number }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [VOLCTL, ...args], { env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let chunks = 0;
    child.stderr.on('data', (d) => (stderr += d));
    if (keep === 0) child.stdout.destroy();
    else child.stdout.on('data', () => ++chunks >= keep && child.stdout.destroy());
    child.on('exit', (code, signal) => resolve({ code, signal, stderr, chunks }));
  });
}

describe('when the reader of volctl closes its output early', () => {
  let server: Server;
  let env: Record<string, string>;

  beforeAll(async () => {
    // 3000 volumes: a JSON list of ~0.5 MB, far more than a pipe holds, so the reader's close is hit mid-write.
    const volumes = Array.from({ length: 3000 }, (_, i) => ({ id: `00000000-0000-0000-0000-${String(i).padStart(12, '0')}`, name: `v${i}`, status: 'available', size: 1 }));
    server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ volumes })));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    env = { OS_AUTH_TYPE: 'noauth', OS_ENDPOINT: `http://127.0.0.1:${port}/v3`, OS_USER_ID: 'admin', OS_PROJECT_ID: 'p1' };
  });

  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('when `volumes list -f json | head -c 1` stops reading after the first chunk, then volctl exits 0 and prints nothing on stderr', async () => {
    const run = await runIntoClosingReader(['volumes', 'list', '-f', 'json'], env, 1);
    expect(run).toEqual({ code: 0, signal: null, stderr: '', chunks: 1 });
  });

  it('when the reader is gone before anything is written (`volctl --help | true`), then volctl exits 0 and prints nothing on stderr', async () => {
    expect(await runIntoClosingReader(['--help'], env, 0)).toEqual({ code: 0, signal: null, stderr: '', chunks: 0 });
  });
});
