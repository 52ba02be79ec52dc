import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { Logger } from 'pino';

/** What `/readyz` reports: `ok` when every check passed. */
export interface ReadinessReport {
  ok: boolean;
  checks: Record<string, boolean>;
  /** Extra keys for the body, e.g. `app` and `host`. */
  details?: Record<string, unknown>;
}

export interface HealthServerOptions {
  /** 0 picks a free port (tests); the platform only starts the server when `HEALTH_PORT` > 0. */
  port: number;
  /**
   * Listen address; loopback by default, because `/readyz` and `/metrics` tell about every
   * project's migrations: deployments whose probes come from outside (kubelet) say `0.0.0.0`.
   */
  host?: string;
  readiness: () => Promise<ReadinessReport>;
  /** A readiness check that has not answered within this bound counts as failed (default 3 s). */
  readinessTimeoutMs?: number;
  /** The text of `GET /metrics` (Prometheus exposition format); without it `/metrics` is 404. */
  metrics?: () => string;
  log?: Logger;
}

/**
 * Liveness and readiness over plain HTTP for the apps without an HTTP port of their own (scheduler,
 * workers, nova-bridge), for Kubernetes probes and Docker health checks:
 *
 * - `GET /healthz`: 200 while the process runs (and its event loop turns);
 * - `GET /readyz`: 200 when the readiness checks pass, else 503 with the checks; 503 `stopping` once
 *   shutdown has begun, so that nothing new is routed to a process that is draining;
 * - `GET /metrics`: Prometheus metrics, when the app reports any.
 *
 * No framework: it must keep answering while Nest is starting up and shutting down.
 */
export class HealthServer {
  private stopping = false;
  private closed: Promise<void> | undefined;

  private constructor(
    private readonly server: Server,
    private readonly opts: HealthServerOptions,
  ) {}

  static async start(opts: HealthServerOptions): Promise<HealthServer> {
    const server = createServer();
    const health = new HealthServer(server, opts);
    server.on('request', (req, res) => void health.handle(req, res));
    // Probes are short requests: do not let an idle keep-alive socket hold shutdown up.
    server.keepAliveTimeout = 1_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port, opts.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => opts.log?.error({ err }, 'health server error'));
    opts.log?.info({ address: health.address, port: health.port }, 'health server listening');
    return health;
  }

  /** The port actually bound (differs from the option when that was 0). */
  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** The address actually bound. */
  get address(): string {
    return (this.server.address() as AddressInfo).address;
  }

  /** From now on `/readyz` answers 503 `stopping`; `/healthz` keeps answering until `close()`. */
  markStopping(): void {
    this.stopping = true;
  }

  /** Stops listening and ends open connections; idempotent. */
  close(): Promise<void> {
    this.stopping = true;
    this.closed ??= new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    return this.closed;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    const known = path === '/healthz' || path === '/readyz' || (path === '/metrics' && this.opts.metrics);
    if (!known) return send(res, 404, { status: 'not found' });
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return send(res, 405, { status: 'method not allowed' });
    }
    if (path === '/healthz') return send(res, 200, { status: 'ok' });
    if (path === '/metrics') return this.sendMetrics(res);

    const report = await this.readiness();
    if (this.stopping) return send(res, 503, { status: 'stopping', ...report.details, checks: report.checks });
    send(res, report.ok ? 200 : 503, { status: report.ok ? 'ok' : 'unavailable', ...report.details, checks: report.checks });
  }

  private sendMetrics(res: ServerResponse): void {
    let text: string;
    try {
      text = this.opts.metrics?.() ?? '';
    } catch (err) {
      this.opts.log?.warn({ err }, 'collecting metrics failed');
      return send(res, 500, { status: 'metrics failed' });
    }
    res.writeHead(200, {
      'content-type': 'text/plain; version=0.0.4; charset=utf-8',
      'content-length': Buffer.byteLength(text),
      'cache-control': 'no-store',
    });
    res.end(text);
  }

  private async readiness(): Promise<ReadinessReport> {
    const timeoutMs = this.opts.readinessTimeoutMs ?? 3_000;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<ReadinessReport>((resolve) => {
      timer = setTimeout(() => resolve({ ok: false, checks: { answered: false } }), timeoutMs);
    });
    try {
      return await Promise.race([this.opts.readiness(), timedOut]);
    } catch (err) {
      this.opts.log?.warn({ err }, 'readiness check failed');
      return { ok: false, checks: { answered: false } };
    } finally {
      clearTimeout(timer);
    }
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}
