import { Inject, Injectable } from '@nestjs/common';
import { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { ACTIVE_MIGRATION_STATUSES } from '@volume/domain';
import { LOGGER, NatsService } from '@volume/platform';
import { MigrationDataServer } from '../../copy/data-server';

/** Often enough that a forgotten target does not outlive its migration by long; a sweep is one small query. */
const SWEEP_EVERY_MS = 10_000;

/**
 * Closes this host's migration stream targets whose migration is over (ended, or gone), so that no
 * sender can write into what became a live volume's file (the destination of a swap) or is being
 * deleted: a source that could not close its target (closeTarget unanswered) leaves it to this
 * sweep. It runs at start, then every SWEEP_EVERY_MS.
 */
@Injectable()
export class TargetSweep {
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly ds: DataSource,
    private readonly dataServer: MigrationDataServer,
    private readonly nats: NatsService,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  start(): void {
    this.nats.track(this.sweepSafely());
    this.timer = setInterval(() => this.nats.track(this.sweepSafely()), SWEEP_EVERY_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Closes the targets of migrations no longer under way; returns their ids. */
  async sweep(): Promise<string[]> {
    const ids = this.dataServer.targetIds;
    if (ids.length === 0) return [];
    const live: { id: string }[] = await this.ds.query(
      `SELECT id::text AS id FROM volume_migrations WHERE id::text = ANY($1::text[]) AND status = ANY($2)`,
      [ids, ACTIVE_MIGRATION_STATUSES],
    );
    const liveIds = new Set(live.map((r) => r.id));
    const over = ids.filter((id) => !liveIds.has(id));
    for (const migrationId of over) {
      await this.dataServer.unregister(migrationId);
      this.log.warn({ migrationId }, 'closed the stream target of a migration that is over (its source did not)');
    }
    return over;
  }

  /** A missed sweep (the database away) is made up by the next one. */
  private async sweepSafely(): Promise<void> {
    await this.sweep().catch((err) => this.log.warn({ err: (err as Error).message }, 'migration target sweep failed'));
  }
}
