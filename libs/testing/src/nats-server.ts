import { ChildProcess, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { freePort } from './ports';

/** A nats-server of a test's own, on a free port (the machine's NATS is never stopped by a test). */
export interface OwnNatsServer {
  port: number;
  url: string;
  stop(): Promise<void>;
}

async function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Starts `/usr/sbin/nats-server` with `args` (besides its address and port) and waits until it listens. */
export async function startNatsServer(args: string[] = [], scheme = 'nats'): Promise<OwnNatsServer> {
  const port = await freePort();
  const proc: ChildProcess = spawn('/usr/sbin/nats-server', ['-a', '127.0.0.1', '-p', String(port), ...args], { stdio: 'ignore' });
  let exited = false;
  proc.once('exit', () => (exited = true));
  for (let i = 0; i < 100 && !exited && !(await listening(port)); i++) await new Promise((r) => setTimeout(r, 50));
  if (exited) throw new Error(`nats-server ${args.join(' ')} exited at start`);
  return {
    port,
    url: `${scheme}://127.0.0.1:${port}`,
    stop: async () => {
      if (exited) return;
      const gone = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await gone;
    },
  };
}
