import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { Logger } from 'pino';
import { DataSource } from 'typeorm';
import {
  CodedError,
  ComputeSubjects,
  ErrorCode,
  isCodedError,
  MigrationCompletionReply,
  MigrationCompletionRequest,
  MigrationModeName,
  MigrationSubjects,
  RunMigrationRequest,
  WorkerSubjects,
} from '@volume/contracts';
import { extractHost, migrationTargetStatus, ProgressTracker, RateEstimator } from '@volume/domain';
import { APP_CONFIG, ByteThrottle, LOGGER, NatsService } from '@volume/platform';
import { endMigrationWithError, VolumeAttachmentEntity, VolumeEntity, VolumeMigrationEntity } from '@volume/persistence';
import { FileDriver, GIB } from '../backend/file-driver';
import { copyVolumeData, CopySink, localSink, remoteSink } from '../copy/copy-engine';
// A type-only import: decorator metadata would otherwise reference a value that does not exist.
import type { WorkerConfig } from '../config';
import { VolumeService, volumeName } from '../volume/volume.service';
import { finishVolumeMigration } from './finish-volume-migration';
import { CopyWork, ProgressRegistry } from './progress-registry';

/** Why a copy stopped early: the worker is stopping (resume later) or the migration was cancelled. */
const SHUTDOWN = 'worker shutting down';
const PERSIST_EVERY_MS = 1_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Runs the migrations whose source is this host, as Cinder's volume manager `migrate_volume` does:
 * driver-assisted (a move between two pools of this host) or host-assisted (a copy to a destination
 * volume, local or over the worker-to-worker stream, then the rows swap). An attached volume is
 * handed to the compute side instead (`compute-swap`), which ends it with a completion served here.
 * A failure leaves the source untouched and readable; a restart resumes from the last durable checkpoint.
 */
@Injectable()
export class MigrationRunner {
  private readonly throttle: ByteThrottle;
  private readonly running = new Map<string, AbortController>();

  constructor(
    private readonly ds: DataSource,
    private readonly nats: NatsService,
    private readonly driver: FileDriver,
    private readonly volumes: VolumeService,
    private readonly registry: ProgressRegistry,
    @Inject(APP_CONFIG) private readonly cfg: WorkerConfig,
    @Inject(LOGGER) private readonly log: Logger,
  ) {
    this.throttle = new ByteThrottle(cfg.VOLUME_COPY_BPS_LIMIT);
  }

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
    const migration = await this.ds.getRepository(VolumeMigrationEntity).findOneBy({ id: req.migrationId });
    if (!migration || migration.status === 'success' || migration.status === 'error') {
      log.warn('migration is not under way any more; nothing to run');
      return;
    }
    if (migration.mode === 'compute-swap') {
      log.info('the compute side owns this migration; its completion ends it');
      return;
    }
    const started = await this.ds.transaction(async (em) => {
      const [, affected]: [unknown, number] = await em.query(
        `UPDATE volumes SET migration_status = 'migrating', updated_at = now()
          WHERE id = $1 AND migration_status IN ('starting', 'migrating')`,
        [req.volumeId],
      );
      if (affected) {
        await em.query(`UPDATE volume_migrations SET status = 'migrating', updated_at = now() WHERE id = $1`, [req.migrationId]);
      }
      return affected > 0;
    });
    if (!started) {
      log.warn('volume is not waiting for this migration; it ends in error');
      await this.fail(req, migration, 'volume left the migration before it started', log);
      return;
    }
    try {
      if (req.mode === 'driver-assisted') await this.driverMove(req, log);
      else await this.hostCopy(req, migration, signal, log);
    } catch (err) {
      if (signal.aborted && (signal.reason as Error)?.message === SHUTDOWN) {
        log.info('migration paused for shutdown; it resumes from its checkpoint when this host restarts');
        return;
      }
      log.error({ err }, 'migration failed; the source stays as it was');
      await this.fail(req, migration, (err as Error).message ?? String(err), log);
    }
  }

  /** Same host, no forced copy: the driver moves the file between pools (Cinder: driver.migrate_volume). */
  private async driverMove(req: RunMigrationRequest, log: Logger): Promise<void> {
    this.registry.trackDriverMove(req.volumeId, { migrationId: req.migrationId, destination: req.destPoolHost });
    const volume = await this.ds.getRepository(VolumeEntity).findOneByOrFail({ id: req.volumeId });
    const destPool = extractHost(req.destPoolHost, 'pool') as string;
    const path = await this.driver.move(this.volumes.poolOf(volume), destPool, volumeName(volume));
    await this.ds.transaction(async (em) => {
      await em.query(
        `UPDATE volumes SET host = $2, provider_location = $3, migration_status = 'success', migration_progress = NULL,
                status = CASE WHEN status = 'maintenance' THEN COALESCE(previous_status, 'available') ELSE status END,
                updated_at = now()
          WHERE id = $1`,
        [req.volumeId, req.destPoolHost, path],
      );
      await em.query(
        `UPDATE volume_migrations SET status = 'success', finished_at = now(), updated_at = now() WHERE id = $1`,
        [req.migrationId],
      );
    });
    log.info({ to: req.destPoolHost }, 'driver-assisted migration done');
  }

  private async hostCopy(req: RunMigrationRequest, migration: VolumeMigrationEntity, signal: AbortSignal, log: Logger): Promise<void> {
    if (!req.destVolumeId) throw new Error('host-assisted migration without a destination volume');
    const source = await this.ds.getRepository(VolumeEntity).findOneByOrFail({ id: req.volumeId });
    const sizeBytes = source.size * GIB;
    const destWorker = extractHost(req.destPoolHost, 'host') as string;
    await this.ensureDestination(req, destWorker, source.size);
    if (await this.handOverToCompute(req, log)) return;

    const sourcePath = this.driver.devicePath(this.volumes.poolOf(source), volumeName(source));
    const sink = await this.openSink(req, destWorker, sizeBytes);
    const startOffset = Math.min(migration.bytesDone, sizeBytes);
    // What an admin already saw (persisted before a restart) must not go backwards on resume.
    const shown = /^\d+$/.test(source.migrationProgress ?? '') ? Math.floor((Number(source.migrationProgress) / 100) * sizeBytes) : 0;
    const tracker = new ProgressTracker(sizeBytes, Math.max(startOffset, Math.min(shown, sizeBytes - 1)));
    const rate = new RateEstimator();
    const work: CopyWork = { toRead: null, read: 0 };
    // From now on a copy that does not move shows (seconds since progress), even before its first block.
    rate.record(0);
    this.registry.trackCopy(req.volumeId, { tracker, rate, work }, { migrationId: req.migrationId, destination: req.destPoolHost });
    let checkpoint = startOffset;
    let lastPersist = 0;
    const cancelled = new AbortController();
    const persist = async (force = false) => {
      if (!force && Date.now() - lastPersist < PERSIST_EVERY_MS) return;
      lastPersist = Date.now();
      const stillMigrating = await this.persistProgress(req, tracker.percent, checkpoint);
      // An admin reset the volume (os-reset_status): stop copying and clean up.
      if (!stillMigrating) cancelled.abort(new Error('the volume is no longer migrating (reset by an admin)'));
    };
    log.info({ sourcePath, destWorker, startOffset, sizeBytes }, startOffset ? 'resuming copy from checkpoint' : 'copy started');
    const combined = AbortSignal.any([signal, cancelled.signal]);
    try {
      const copied = await copyVolumeData({
        sourcePath,
        sizeBytes,
        startOffset,
        sink,
        directIo: this.cfg.VOLUME_COPY_DIRECT_IO,
        throttle: this.throttle,
        signal: combined,
        onPlan: ({ bytesToRead }) => {
          work.toRead = bytesToRead;
        },
        onProgress: (processed, bytesRead) => {
          tracker.update(processed);
          work.read = bytesRead;
          rate.record(bytesRead);
          void persist().catch((err) => log.warn({ err }, 'persisting progress failed'));
        },
        onCheckpoint: (durable) => {
          checkpoint = durable;
        },
      });
      log.info({ ...copied, sizeBytes, startOffset }, 'copy finished');
    } catch (err) {
      if (signal.aborted) await this.persistProgress(req, tracker.percent, checkpoint).catch(() => undefined);
      throw combined.aborted && !signal.aborted ? (cancelled.signal.reason as Error) : err;
    } finally {
      await sink.close().catch(() => undefined);
    }
    tracker.complete();
    await persist(true);
    if (destWorker !== this.cfg.VOLUME_HOST) {
      await this.nats.call(MigrationSubjects.closeTarget, { migrationId: req.migrationId }, { host: destWorker }).catch(() => undefined);
    }
    await this.complete(req, log);
  }

  /** The destination volume exists and is available (Cinder waits up to migration_create_volume_timeout_secs). */
  private async ensureDestination(req: RunMigrationRequest, destWorker: string, sizeGb: number): Promise<void> {
    const reply = await this.nats.call(
      WorkerSubjects.createVolume,
      { volumeId: req.destVolumeId as string, poolHost: req.destPoolHost, sizeGb },
      { host: destWorker, timeoutMs: this.cfg.MIGRATION_CREATE_TIMEOUT_S * 1000 },
    );
    if (reply.status !== 'available') throw new Error(`failed to create the destination volume on ${req.destPoolHost}`);
  }

  /**
   * Cinder: "Nova must be involved when migrating an attached volume". The compute side mirrors
   * each attachment onto the destination while the guest runs and ends the migration with
   * os-migrate_volume_completion; this host copies nothing. Returns false when nothing is attached.
   * Any refusal throws, so the run's failure path removes the destination.
   */
  private async handOverToCompute(req: RunMigrationRequest, log: Logger): Promise<boolean> {
    const attachments = await this.ds.getRepository(VolumeAttachmentEntity).find({
      where: { volumeId: req.volumeId, attachStatus: 'attached' },
      order: { createdAt: 'ASC' },
    });
    if (attachments.length === 0) return false;
    // Marked before the first swap, not after the last: once the compute side may be mirroring onto
    // the destination, neither a restart of this host (a copy over it) nor the watchdog's plain path
    // (deleting it under the guest) may touch it without asking the compute side first.
    await this.ds.query(`UPDATE volume_migrations SET mode = 'compute-swap', updated_at = now() WHERE id = $1`, [req.migrationId]);
    for (const att of attachments) {
      if (!att.instanceUuid) throw new Error(`attachment ${att.id} is attached to a host, not a server: only a compute service can move it`);
      try {
        await this.nats.call(ComputeSubjects.swapVolume, {
          migrationId: req.migrationId,
          serverId: att.instanceUuid,
          attachmentId: att.id,
          oldVolumeId: req.volumeId,
          newVolumeId: req.destVolumeId as string,
        });
      } catch (err) {
        const why = isCodedError(err) ? `${err.code}: ${err.message}` : (err as Error).message;
        throw new Error(`the compute side refused to swap attachment ${att.id} of server ${att.instanceUuid}: ${why}`);
      }
      log.info({ attachmentId: att.id, serverId: att.instanceUuid }, 'compute side accepted the swap');
    }
    log.info({ to: req.destPoolHost }, 'attached volume handed to the compute side; its completion ends the migration');
    return true;
  }

  private async openSink(req: RunMigrationRequest, destWorker: string, sizeBytes: number): Promise<CopySink> {
    const destVolume = await this.ds.getRepository(VolumeEntity).findOneByOrFail({ id: req.destVolumeId as string });
    if (destWorker === this.cfg.VOLUME_HOST) {
      return localSink(this.driver.devicePath(this.volumes.poolOf(destVolume), volumeName(destVolume)), {
        directIo: this.cfg.VOLUME_COPY_DIRECT_IO,
      });
    }
    const secret = randomBytes(32).toString('hex');
    const { url } = await this.nats.call(
      MigrationSubjects.openTarget,
      { migrationId: req.migrationId, destVolumeId: destVolume.id, sizeBytes, secret },
      { host: destWorker },
    );
    return remoteSink(url, secret);
  }

  /** Returns false when the volume is no longer `migrating` (nothing was written then). */
  private async persistProgress(req: RunMigrationRequest, percent: string, bytesDone: number): Promise<boolean> {
    return this.ds.transaction(async (em) => {
      const [, affected]: [unknown, number] = await em.query(
        `UPDATE volumes SET migration_progress = $2 WHERE id = $1 AND migration_status = 'migrating'`,
        [req.volumeId, percent],
      );
      if (affected) {
        await em.query(`UPDATE volume_migrations SET bytes_done = $2, updated_at = now() WHERE id = $1`, [req.migrationId, bytesDone]);
      }
      return affected > 0;
    });
  }

  /** The copy is durable at the destination: the rows swap, then the old data goes. */
  private async complete(req: RunMigrationRequest, log: Logger): Promise<void> {
    const oldDataRow = await this.ds.transaction((em) => finishVolumeMigration(em, req.volumeId, req.destVolumeId as string));
    log.info({ to: req.destPoolHost }, 'migration done; removing the old data');
    await this.removeOldData(oldDataRow, log);
  }

  /**
   * Cinder's manager `migrate_volume_completion`, which the compute side calls (through the API)
   * once its swap ended. With `error` the guest stayed on the source: the destination goes and the
   * migration ends in error. Without, the rows swap as after a copy and the old data goes. A repeat
   * after success answers the same and changes nothing; nothing undoes a finished migration.
   */
  async completion(req: MigrationCompletionRequest, log: Logger = this.log): Promise<MigrationCompletionReply> {
    for (const id of [req.volumeId, req.newVolumeId]) {
      // What Cinder's volume_get answers for an id that is no uuid, before PostgreSQL would refuse it.
      if (!UUID.test(id ?? '')) throw new CodedError(ErrorCode.NotFound, `Volume ${id} could not be found.`);
    }
    const answer = { saveVolumeId: req.volumeId };
    if (await this.succeeded(req.volumeId, req.newVolumeId)) return answer;
    const [migration]: { id: string; mode: string | null }[] = await this.ds.query(
      `SELECT id, mode FROM volume_migrations WHERE volume_id = $1 AND dest_volume_id = $2 ORDER BY started_at DESC LIMIT 1`,
      [req.volumeId, req.newVolumeId],
    );
    if (req.error) {
      await this.abandon(req, migration?.id ?? null, log);
      return answer;
    }
    // The rows must never swap under a copy still writing the destination.
    if (migration && migration.mode !== 'compute-swap') {
      throw new CodedError(ErrorCode.InvalidVolume, `Invalid volume: Volume ${req.volumeId} is being copied by its host, not swapped by a compute service.`);
    }
    let oldDataRow: string;
    try {
      oldDataRow = await this.ds.transaction((em) => finishVolumeMigration(em, req.volumeId, req.newVolumeId));
    } catch (err) {
      // A concurrent repeat swapped the rows first.
      if (isCodedError(err) && (await this.succeeded(req.volumeId, req.newVolumeId))) return answer;
      throw err;
    }
    log.info({ volumeId: req.volumeId, newVolumeId: req.newVolumeId }, 'compute swap completed; removing the old data');
    await this.removeOldData(oldDataRow, log);
    return answer;
  }

  private async succeeded(volumeId: string, newVolumeId: string): Promise<boolean> {
    const rows: unknown[] = await this.ds.query(
      `SELECT 1 FROM volume_migrations WHERE volume_id = $1 AND dest_volume_id = $2 AND status = 'success'`,
      [volumeId, newVolumeId],
    );
    return rows.length > 0;
  }

  /** Completion with error (Cinder: delete the new volume, `migration_status = error`, status back). */
  private async abandon(req: MigrationCompletionRequest, migrationId: string | null, log: Logger): Promise<void> {
    const [dest]: { host: string | null }[] = await this.ds.query(`SELECT host FROM volumes WHERE id = $1`, [req.newVolumeId]);
    if (dest?.host) await this.removeDestination(req.volumeId, req.newVolumeId, extractHost(dest.host, 'host') as string, log);
    await this.ds.transaction((em) =>
      endMigrationWithError(em, {
        migrationId,
        volumeId: req.volumeId,
        error: 'the compute side could not swap the volume (os-migrate_volume_completion with error)',
      }),
    );
    log.warn({ volumeId: req.volumeId, newVolumeId: req.newVolumeId }, 'compute swap failed; the destination is removed and the source stays');
  }

  private async removeOldData(rowId: string, log: Logger): Promise<void> {
    await this.volumes.delete(rowId, log).catch((err) =>
      log.error({ err, volumeId: rowId }, 'removing the old data failed; the row stays deleting and is retried at restart'),
    );
  }

  /** The source stays as it was; the destination (row and data) goes away. */
  private async fail(req: RunMigrationRequest, migration: VolumeMigrationEntity, error: string, log: Logger): Promise<void> {
    const destVolumeId = req.destVolumeId ?? migration.destVolumeId;
    if (destVolumeId) {
      const destWorker = extractHost(req.destPoolHost, 'host') as string;
      if (destWorker !== this.cfg.VOLUME_HOST) {
        await this.nats.call(MigrationSubjects.closeTarget, { migrationId: req.migrationId }, { host: destWorker }).catch(() => undefined);
      }
      await this.removeDestination(req.volumeId, destVolumeId, destWorker, log);
    }
    await this.ds.transaction((em) => endMigrationWithError(em, { migrationId: req.migrationId, volumeId: req.volumeId, error }));
  }

  /** Only a row that is still this volume's destination: never one the rows' swap gave the data to. */
  private async removeDestination(volumeId: string, destVolumeId: string, destWorker: string, log: Logger): Promise<void> {
    const [, marked]: [unknown, number] = await this.ds.query(
      `UPDATE volumes SET status = 'deleting', updated_at = now() WHERE id = $1 AND migration_status = $2`,
      [destVolumeId, migrationTargetStatus(volumeId)],
    );
    if (marked) {
      await this.nats
        .call(WorkerSubjects.deleteVolume, { volumeId: destVolumeId }, { host: destWorker })
        .catch((err) => log.warn({ err, destVolumeId }, 'destination cleanup deferred to its host restart'));
    }
  }

  /** What a crash or stop left under way with this host as source: resume it (or end it). */
  async resumeInterrupted(): Promise<void> {
    const rows = await this.ds
      .getRepository(VolumeMigrationEntity)
      .createQueryBuilder('m')
      .where(`m.status IN ('starting', 'migrating')`)
      // A compute-swap belongs to nova-bridge: its completion (or the watchdog) ends it, never a re-run here.
      .andWhere(`m.mode IS NOT NULL AND m.mode <> 'compute-swap'`)
      .andWhere('m.source_host LIKE :prefix', { prefix: `${this.cfg.VOLUME_HOST}@%` })
      .getMany();
    for (const m of rows) {
      this.log.info({ migrationId: m.id, volumeId: m.volumeId, bytesDone: m.bytesDone }, 'resuming an interrupted migration');
      this.start({
        migrationId: m.id,
        volumeId: m.volumeId,
        destPoolHost: m.destHost,
        mode: m.mode as MigrationModeName,
        destVolumeId: m.destVolumeId,
      });
    }
  }
}
