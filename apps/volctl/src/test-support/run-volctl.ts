import { execFile } from 'node:child_process';
import { join } from 'node:path';

export const VOLCTL = join(__dirname, '../../bin/volctl.js');

export interface VolctlRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** The machine's own OS_* settings must not leak into a run: only what the test gives counts. */
export function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OS_')));
  return { ...env, ...extra };
}

/** `volctl <args>` as a user runs it (bin/volctl.js, from the sources), its output through pipes: no terminal. */
export function runVolctl(args: string[], env: Record<string, string>, cwd = process.cwd()): Promise<VolctlRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [VOLCTL, ...args], { env: cleanEnv(env), cwd, timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}
