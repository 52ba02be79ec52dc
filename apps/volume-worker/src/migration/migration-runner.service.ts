import { Inject, Injectable } from '@nestjs/common';
import { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { RunMigrationRequest } from '@volume/contracts';
import { RUNNABLE_MIGRATION_STATUSES } from '@volume/domain';
import { markMigrating, VolumeMigrationEntity } from '@volume/persistence';
import { LOGGER, NatsService } from '@volume/platform';
import { untilDatabaseAnswers } from './database-retry';
import { DriverMove } from './driver-move/driver-move.service';
import { MigrationFailure } from './failure/migration-failure.service';
import { HostCopy } from './host-copy/host-copy.service';
import { ProgressRegistry } from './progress-registry';

/** Why a copy stopped early: the worker is stopping (resume later), not a failure. */
const SHUTDOWN = 'worker shutting down';

/**
 * Runs the migrations whose source is this host, as Cinder's volume manager `migrate_volume` does:
 * driver-assisted (a move between two pools of this host) or host-assisted (a copy to a destination
 * volume, or a hand-over to the compute side when it is attached). A failure leaves the source
 * untouched and readable; a stop leaves the checkpoint for a restart to resume from.
 */
@Injectable()
export class MigrationRunner {
  private readonly running = new Map<string, AbortController>();

  constructor(
    private readonly ds: DataSource,
    private readonly nats: NatsService,
    private readonly registry: ProgressRegistry,
    private readonly driverMove: DriverMove,
    private readonly hostCopy: HostCopy,
    private readonly failure: MigrationFailure,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  /** Starts (or resumes) a migration in the background; the caller only waits for acceptance. */
  start(req: RunMigrationRequest, log: Logger = this.log): void {
    if (this.running.has(req.migrationId)) return;
    const abort = new AbortController();
    this.running.set(req.migrationId, abort);
    const work = this.run(req, abort.signal, log.child({ migrationId: req.migrationId, volumeId: req.volumeId }))
      .catch((err) => log.error({ err, migrationId: req.migrationId }, 'migration runner failed'))
      .finally(() => {
        this.running.delete(req.migrationId);
        this.registry.forget(req.volumeId);
      });
    this.nats.track(work);
  }

  /** Stops every copy at its next block; their checkpoints stay, so they resume after restart. */
  stopAll(): void {
    for (const abort of this.running.values()) abort.abort(new Error(SHUTDOWN));
  }

  private async run(req: RunMigrationRequest, signal: AbortSignal, log: Logger): Promise<void> {
    const db = <T>(what: string, op: () => Promise<T>) => untilDatabaseAnswers(what, op, { log, signal });
    const migration = await db('reading the migration', () => this.ds.getRepository(VolumeMigrationEntity).findOneBy({ id: req.migrationId }));
    if (!migration || !RUNNABLE_MIGRATION_STATUSES.includes(migration.status)) {
      log.warn('migration is not under way any more; nothing to run');
      return;
    }
    if (migration.mode === 'compute-swap') {
      log.info('the compute side owns this migration; its completion ends it');
      return;
    }
    if (!(await db('taking the migration', () => markMigrating(this.ds.manager, { migrationId: req.migrationId, volumeId: req.volumeId })))) {
      log.warn('volume is not waiting for this migration; it ends in error');
      await this.failure.fail(req, migration, 'volume left the migration before it started', log, signal);
      return;
    }
    try {
      if (req.mode === 'driver-assisted') await this.driverMove.run(req, log, signal);
      else await this.hostCopy.run(req, migration, signal, log);
    } catch (err) {
      if (signal.aborted && (signal.reason as Error)?.message === SHUTDOWN) {
        log.info('migration paused for shutdown; it resumes from its checkpoint when this host restarts');
        return;
      }
      log.error({ err }, 'migration failed; the source stays as it was');
      await this.failure.fail(req, migration, (err as Error).message ?? String(err), log, signal);
    }
  }
}
