import { Inject, Injectable } from '@nestjs/common';
import { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { WorkerSubjects } from '@volume/contracts';
import { extractHost } from '@volume/domain';
import { APP_CONFIG, LOGGER, NatsService } from '@volume/platform';
import { endMigrationWithError } from '@volume/persistence';
import { SchedulerConfig } from '../config';

interface StalledRow {
  id: string;
  volume_id: string;
  dest_volume_id: string | null;
  dest_host: string;
  status: string;
}

/**
 * No volume stays `migrating` forever: a migration whose runner stopped reporting (its source host
 * is gone and does not come back, or nobody took it) ends in `error` after a bound. The source data
 * is never touched here; the destination, if any, is removed. A host that returns later finds the
 * migration ended and does not resume it.
 */
@Injectable()
export class MigrationWatchdog {
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly ds: DataSource,
    private readonly nats: NatsService,
    @Inject(APP_CONFIG) private readonly config: SchedulerConfig,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  start(): void {
    const every = Math.max(1, Math.min(this.config.MIGRATION_STALL_TIMEOUT_S / 4, 30)) * 1000;
    this.timer = setInterval(() => {
      this.nats.track(this.sweep().catch((err) => this.log.warn({ err }, 'migration watchdog sweep failed')));
    }, every);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Ends every migration silent for longer than the bound; returns their ids. */
  async sweep(): Promise<string[]> {
    // Replicas may sweep together: SKIP LOCKED gives each stalled row to one of them.
    return this.ds.transaction(async (em) => {
      const rows: StalledRow[] = await em.query(
        `SELECT id, volume_id, dest_volume_id, dest_host, status FROM volume_migrations
          WHERE status IN ('starting', 'migrating') AND updated_at < now() - make_interval(secs => $1)
          FOR UPDATE SKIP LOCKED`,
        [this.config.MIGRATION_STALL_TIMEOUT_S],
      );
      for (const row of rows) {
        const error = `no progress for ${this.config.MIGRATION_STALL_TIMEOUT_S} s (status ${row.status}); the source host stopped reporting`;
        this.log.error({ migrationId: row.id, volumeId: row.volume_id }, `migration stalled: ${error}`);
        if (row.dest_volume_id) {
          await em.query(`UPDATE volumes SET status = 'deleting', updated_at = now() WHERE id = $1 AND migration_status = $2`, [
            row.dest_volume_id,
            `target:${row.volume_id}`,
          ]);
          const destWorker = extractHost(row.dest_host, 'host') as string;
          // The destination's host removes it now, or at its next start (its reconcile finishes `deleting`).
          this.nats.track(
            this.nats.call(WorkerSubjects.deleteVolume, { volumeId: row.dest_volume_id }, { host: destWorker }).catch(() => undefined),
          );
        }
        await endMigrationWithError(em, { migrationId: row.id, volumeId: row.volume_id, error });
      }
      return rows.map((r) => r.id);
    });
  }
}
