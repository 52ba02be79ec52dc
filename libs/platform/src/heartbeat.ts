import { randomUUID } from 'node:crypto';
import { Logger } from 'pino';
import { DataSource } from 'typeorm';

export interface HeartbeatOptions {
  host: string;
  binary: string;
  topic: string;
  availabilityZone: string;
  intervalS: number;
}

/**
 * Keeps this service's row in `services` fresh, as Cinder's service reports do: `os-services` and
 * the migrate destination check call a service up while its `updated_at` is recent.
 */
export class ServiceHeartbeat {
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly ds: DataSource,
    private readonly opts: HeartbeatOptions,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    await this.beat();
    this.schedule();
  }

  private schedule() {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.beat()
        .catch((err) => this.log.warn({ err }, 'service heartbeat failed'))
        .finally(() => this.schedule());
    }, this.opts.intervalS * 1000);
    this.timer.unref();
  }

  async beat(): Promise<void> {
    await this.ds.query(
      `INSERT INTO services (uuid, host, "binary", topic, availability_zone, report_count, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, 1, now(), now())
       ON CONFLICT (host, "binary") DO UPDATE
         SET report_count = services.report_count + 1, updated_at = now(),
             topic = EXCLUDED.topic, availability_zone = EXCLUDED.availability_zone`,
      [randomUUID(), this.opts.host, this.opts.binary, this.opts.topic, this.opts.availabilityZone],
    );
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }
}
