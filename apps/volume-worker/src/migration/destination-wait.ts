import { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { extractHost, peerGoneForGood, retryWithBackoff } from '@volume/domain';
import { isHostNotUp } from '@volume/rpc-clients';
import { isDestinationLost } from '../copy/copy-sink';
// A type-only import: decorator metadata would otherwise reference a value that does not exist.
import type { WorkerConfig } from '../config';

/**
 * How long one ask for the destination volume waits for its answer (at most
 * MIGRATION_CREATE_TIMEOUT_S). A request or reply lost while NATS restarted would otherwise hold the
 * migration for the whole MIGRATION_CREATE_TIMEOUT_S (300 s by default); the ask is repeated instead
 * (a Timeout is worth waiting on, below), and the destination host joins the create under way.
 */
export function destinationAskTimeoutMs(cfg: Pick<WorkerConfig, 'MIGRATION_CREATE_TIMEOUT_S'>): number {
  return Math.min(15_000, cfg.MIGRATION_CREATE_TIMEOUT_S * 1000);
}

export interface DestinationWaitOptions {
  ds: DataSource;
  cfg: Pick<WorkerConfig, 'SERVICE_DOWN_TIME_S' | 'MIGRATION_PEER_WAIT_S'>;
  /** `host@backend#pool` of the destination. */
  destPoolHost: string;
  log: Logger;
  signal?: AbortSignal;
  /**
   * Called before each wait: records the copy's progress (which also tells the watchdog the
   * migration is alive); false when the volume left the migration, which ends the wait.
   */
  keepAlive(): Promise<boolean>;
}

/**
 * A host-assisted migration's patience with its destination host: a call that finds nobody
 * listening (a worker starting or restarting), or a copy stream that breaks (the worker died), is
 * tried again with backoff, the copy resuming from its durable checkpoint, for as long as the host
 * may come back. It is given up on only once gone for good (libs/domain's `peerGoneForGood`: its
 * heartbeat older than SERVICE_DOWN_TIME_S for longer than MIGRATION_PEER_WAIT_S); the migration
 * then ends in error, its source untouched.
 */
export class DestinationWait {
  private waitingSince: number | null = null;

  constructor(private readonly o: DestinationWaitOptions) {}

  /** Runs `op` until it succeeds, the failure is not the destination's absence, or the destination is gone for good. */
  run<T>(what: string, op: () => Promise<T>): Promise<T> {
    return retryWithBackoff(
      async () => {
        const result = await op();
        this.waitingSince = null;
        return result;
      },
      {
        retryable: (err) => this.worthWaiting(what, err),
        signal: this.o.signal,
        onRetry: (err, attempt, delayMs) =>
          this.o.log.warn({ err: (err as Error).message, attempt, delayMs, destination: this.o.destPoolHost }, `destination host away; will ${what} again`),
      },
    );
  }

  private async worthWaiting(what: string, err: unknown): Promise<boolean> {
    if (!isHostNotUp(err) && !isDestinationLost(err)) return false;
    const now = Date.now();
    this.waitingSince ??= now;
    const lastHeartbeatAt = await this.lastHeartbeatAt().catch(() => undefined);
    // Without an answer from the database, nothing says the host is gone: keep waiting.
    const bounds = { serviceDownMs: this.o.cfg.SERVICE_DOWN_TIME_S * 1000, peerWaitMs: this.o.cfg.MIGRATION_PEER_WAIT_S * 1000 };
    if (lastHeartbeatAt !== undefined && peerGoneForGood({ now, waitingSince: this.waitingSince, lastHeartbeatAt }, bounds)) {
      throw new Error(
        `the destination host ${extractHost(this.o.destPoolHost, 'host')} has been down for more than ${this.o.cfg.MIGRATION_PEER_WAIT_S} s ` +
          `(could not ${what}: ${(err as Error).message})`,
        { cause: err },
      );
    }
    if (!(await this.o.keepAlive().catch(() => true))) throw new Error('the volume is no longer migrating (reset by an admin)');
    return true;
  }

  /** The destination backend's last heartbeat, on this machine's clock (the age comes from the database's). */
  private async lastHeartbeatAt(): Promise<number | null> {
    const [row]: { age_ms: number }[] = await this.o.ds.query(
      `SELECT (EXTRACT(EPOCH FROM now() - updated_at) * 1000)::float8 AS age_ms FROM services WHERE host = $1 AND "binary" = 'cinder-volume'`,
      [extractHost(this.o.destPoolHost, 'backend')],
    );
    return row ? Date.now() - Number(row.age_ms) : null;
  }
}
