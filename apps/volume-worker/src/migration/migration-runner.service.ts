import { Inject, Injectable } from '@nestjs/common';
import { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { RunMigrationRequest } from '@volume/contracts';
import { RUNNABLE_MIGRATION_STATUSES } from '@volume/domain';
import { markMigrating, untilDatabaseAnswers, VolumeMigrationEntity } from '@volume/persistence';
import { LOGGER, NatsService } from '@volume/platform';
import { DriverMove } from './driver-move/driver-move.service';
import { MigrationFailure } from './failure/migration-failure.service';
import { HostCopy } from './host-copy/host-copy.service';
import { ProgressRegistry } from './progress-registry';

/** Why a copy stopped early: the worker is stopping (resume later), not a failure. */
const SHUTDOWN = 'worker shutting down';
/** Why a copy stopped early: an admin cancelled it; its end (MigrationFailure) makes it `cancelled`, not `error`. */
const CANCELLED = 'cancelled by an admin';

/** A run of this host: `stop` (shutdown) leaves its checkpoint, `cancel` ends it and removes the destination. */
interface Run {
  stop: AbortController;
  cancel: AbortController;
}

/**
 * Runs the migrations whose source is this host, as Cinder's volume manager `migrate_volume` does:
 * driver-assisted (a move between two pools of this host) or host-assisted (a copy to a destination
 * volume, or a hand-over to the compute side when it is attached). A failure leaves the source
 * untouched and readable; a stop leaves the checkpoint for a restart to resume from.
 */
@Injectable()
export class MigrationRunner {
  private readonly running = new Map<string, Run>();

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
    const run: Run = { stop: new AbortController(), cancel: new AbortController() };
    this.running.set(req.migrationId, run);
    const work = this.run(req, run, log.child({ migrationId: req.migrationId, volumeId: req.volumeId }))
      .catch((err) => log.error({ err, migrationId: req.migrationId }, 'migration runner failed'))
      .finally(() => {
        this.running.delete(req.migrationId);
        this.registry.forget(req.volumeId);
      });
    this.nats.track(work);
  }

  /** Stops every copy at its next block; their checkpoints stay, so they resume after restart. */
  stopAll(): void {
    for (const run of this.running.values()) run.stop.abort(new Error(SHUTDOWN));
  }

  /**
   * An admin cancelled a migration of this host (its row says `cancelling`). A host copy stops at
   * its next block. A driver move is not interrupted: its commit finds the migration no longer
   * `migrating` and undoes the move. A migration that does not run here (not taken yet, or lost
   * with a restart) is started only to be ended: the run sees `cancelling`.
   * @returns whether a run of this host was told to stop.
   */
  async cancel(req: { migrationId: string; volumeId: string }, log: Logger = this.log): Promise<boolean> {
    const run = this.running.get(req.migrationId);
    if (run) {
      run.cancel.abort(new Error(CANCELLED));
      return true;
    }
    const m = await this.ds.getRepository(VolumeMigrationEntity).findOneBy({ id: req.migrationId });
    if (m?.status === 'cancelling' && m.mode !== null && m.mode !== 'compute-swap') {
      this.start({ migrationId: m.id, volumeId: m.volumeId, destPoolHost: m.destHost, mode: m.mode, destVolumeId: m.destVolumeId }, log);
    }
    return false;
  }

  private async run(req: RunMigrationRequest, { stop, cancel }: Run, log: Logger): Promise<void> {
    const signal = AbortSignal.any([stop.signal, cancel.signal]);
    const db = <T>(what: string, op: () => Promise<T>) => untilDatabaseAnswers(what, op, { log, signal });
    const migration = await db('reading the migration', () => this.ds.getRepository(VolumeMigrationEntity).findOneBy({ id: req.migrationId }));
    if (migration?.mode === 'compute-swap') {
      log.info('the compute side owns this migration; its completion ends it');
      return;
    }
    if (migration?.status === 'cancelling') {
      log.info('migration cancelled before this host ran it to its end; removing the destination');
      await this.failure.fail(req, migration, CANCELLED, log, stop.signal);
      return;
    }
    if (!migration || !RUNNABLE_MIGRATION_STATUSES.includes(migration.status)) {
      log.warn('migration is not under way any more; nothing to run');
      return;
    }
    if (!(await db('taking the migration', () => markMigrating(this.ds.manager, { migrationId: req.migrationId, volumeId: req.volumeId })))) {
      log.warn('volume is not waiting for this migration; it ends in error');
      await this.failure.fail(req, migration, 'volume left the migration before it started', log, signal);
      return;
    }
    try {
      // A driver move is never interrupted by a cancel (see cancel): only by a shutdown.
      if (req.mode === 'driver-assisted') await this.driverMove.run(req, log, stop.signal);
      else await this.hostCopy.run(req, migration, signal, log);
    } catch (err) {
      if (stop.signal.aborted) {
        log.info('migration paused for shutdown; it resumes from its checkpoint when this host restarts');
        return;
      }
      if (cancel.signal.aborted) log.info('migration cancelled by an admin; removing the destination, the source stays as it was');
      else log.error({ err }, 'migration failed; the source stays as it was');
      await this.failure.fail(req, migration, cancel.signal.aborted ? CANCELLED : ((err as Error).message ?? String(err)), log, stop.signal);
    }
  }
}
