import { Inject, Injectable } from '@nestjs/common';
import { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { FINISHED_MIGRATION_STATUSES } from '@volume/domain';
import { APP_CONFIG, LOGGER, NatsService } from '@volume/platform';
import type { SchedulerConfig } from '../config';

/** Often enough that history never outlives its bound by much; rarely enough to cost nothing. */
const EVERY_MS = 60 * 60 * 1000;

/**
 * Finished migrations stay as history (`GET /volume-migrations`) for MIGRATION_HISTORY_DAYS, then
 * go. One DELETE a round: replicas that purge together delete disjoint rows or none, never fight.
 */
@Injectable()
export class MigrationHistoryPurge {
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly ds: DataSource,
    private readonly nats: NatsService,
    @Inject(APP_CONFIG) private readonly config: SchedulerConfig,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  /** Purges at once, then every hour. */
  start(): void {
    const tick = () => this.nats.track(this.purge().catch((err) => this.log.warn({ err }, 'purging migration history failed; the next round tries again')));
    tick();
    this.timer = setInterval(tick, EVERY_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Deletes the finished migrations older than the bound; returns how many. */
  async purge(): Promise<number> {
    const [, deleted]: [unknown, number] = await this.ds.query(
      `DELETE FROM volume_migrations WHERE status = ANY($1) AND finished_at < now() - make_interval(days => $2)`,
      [FINISHED_MIGRATION_STATUSES, this.config.MIGRATION_HISTORY_DAYS],
    );
    if (deleted) this.log.info({ deleted, days: this.config.MIGRATION_HISTORY_DAYS }, 'purged finished migrations from the history');
    return deleted;
  }
}
