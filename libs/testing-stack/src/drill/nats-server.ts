import { mkdir } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { freePort } from '@volume/testing';
import { LoggedProcess } from './logged-process';

const NATS_SERVER = '/usr/sbin/nats-server';

/** True when something accepts TCP connections on the port. */
export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(1_000);
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

/**
 * A nats-server (JetStream on, as the apps need) of the drill's own on a free port, that the drill
 * stops and starts again on the same port and store. Never the machine's server.
 */
export class NatsServer {
  private constructor(
    private readonly process: LoggedProcess,
    readonly port: number,
  ) {}

  static async create(root: string): Promise<NatsServer> {
    const dir = join(root, 'nats');
    await mkdir(dir, { recursive: true });
    const port = await freePort();
    const process = new LoggedProcess('nats-server', {
      command: NATS_SERVER,
      args: ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', join(dir, 'store')],
      env: {},
      logFile: join(dir, 'nats.log'),
    });
    const server = new NatsServer(process, port);
    await server.start();
    return server;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.process.running;
  }

  get logFile(): string {
    return this.process.logFile;
  }

  async start(): Promise<void> {
    this.process.start();
    const deadline = Date.now() + 15_000;
    while (!(await portOpen(this.port))) {
      if (!this.process.running) throw new Error(`nats-server did not start (${this.process.exitReason}):\n${this.process.tail(20).join('\n')}`);
      if (Date.now() > deadline) throw new Error(`nats-server does not answer on port ${this.port}:\n${this.process.tail(20).join('\n')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** A clean shutdown (SIGTERM): every client is disconnected until `start`. */
  async stop(): Promise<void> {
    await this.process.stop();
  }
}
