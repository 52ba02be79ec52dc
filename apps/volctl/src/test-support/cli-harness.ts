import { runCli } from '../cli';
import type { CliIo } from '../commands/cli-context';
import type { Fetch } from '../api/session';

export const ENDPOINT = 'http://volume.test/v3';
export const PROJECT = 'p1';
export const NOAUTH = { OS_AUTH_TYPE: 'noauth', OS_ENDPOINT: ENDPOINT, OS_USER_ID: 'admin', OS_PROJECT_ID: PROJECT };

/** runCli in this process, its output collected; noauth against a fake server unless `env` says otherwise. */
export async function cli(args: string[], opts: { fetch?: Fetch; env?: NodeJS.ProcessEnv; cwd?: string } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    env: opts.env ?? NOAUTH,
    cwd: opts.cwd ?? '/nonexistent',
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    interrupts: () => ({ signal: new AbortController().signal, dispose: () => undefined }),
    fetch: opts.fetch,
  };
  const code = await runCli(args, io);
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}
