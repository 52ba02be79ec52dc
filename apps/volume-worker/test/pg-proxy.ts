import { createConnection, createServer, Server, Socket } from 'node:net';

/**
 * A TCP relay in front of the tests' PostgreSQL: `cut()` is a database outage as the apps see it
 * (every open connection dropped, new ones refused), `restore()` its end, without stopping a
 * server that other suites share. Point a data source at `url(database)`.
 */
export class PgProxy {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly target: URL,
    private port: number,
  ) {}

  static async start(targetUrl: string): Promise<PgProxy> {
    const proxy = new PgProxy(new URL(targetUrl), 0);
    await proxy.restore();
    return proxy;
  }

  /** `database` on the tests' server, through this relay. */
  url(database: string): string {
    const u = new URL(this.target.toString());
    u.hostname = '127.0.0.1';
    u.port = String(this.port);
    u.pathname = `/${database}`;
    return u.toString();
  }

  /** Drops every connection and refuses new ones. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Accepts connections again, on the same port. */
  async restore(): Promise<void> {
    if (this.server) return;
    const server = createServer((client) => this.relay(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  async close(): Promise<void> {
    await this.cut();
  }

  private relay(client: Socket): void {
    const upstream = createConnection({ host: this.target.hostname, port: Number(this.target.port || 5432) });
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        this.sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
