import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { RunMigrationRequest } from '@volume/contracts';
import { extractHost, GIB, ProgressTracker, RateEstimator } from '@volume/domain';
import { recordCopyProgress, VolumeEntity, VolumeMigrationEntity, volumeName } from '@volume/persistence';
import { APP_CONFIG, ByteThrottle } from '@volume/platform';
import { WorkerRpcClient } from '@volume/rpc-clients';
import { FileDriver } from '../../backend/file-driver';
import { copyVolumeData, CopySink, localSink, remoteSink } from '../../copy/copy-engine';
// A type-only import: decorator metadata would otherwise reference a value that does not exist.
import type { WorkerConfig } from '../../config';
import { VolumeService } from '../../volume/volume.service';
import { ComputeHandover } from '../compute-handover/compute-handover.service';
import { MigrationCompletion } from '../completion/migration-completion.service';
import { CopyWork, ProgressRegistry } from '../progress-registry';
import { closeRemoteTarget, isThisHost } from '../this-host';

const PERSIST_EVERY_MS = 1_000;

type HostCopyRequest = RunMigrationRequest & { destVolumeId: string };

/**
 * Cinder's `_migrate_volume_generic`: the destination volume is made on its host, the data is
 * copied to it (a local file, or the destination worker's data stream), then the rows swap. An
 * attached volume goes to the compute side instead. The copy records a durable checkpoint as it
 * goes, so that a restart resumes it there.
 */
@Injectable()
export class HostCopy {
  /** One budget for every copy this host runs (VOLUME_COPY_BPS_LIMIT). */
  private readonly throttle: ByteThrottle;

  constructor(
    private readonly ds: DataSource,
    private readonly driver: FileDriver,
    private readonly volumes: VolumeService,
    private readonly registry: ProgressRegistry,
    private readonly workers: WorkerRpcClient,
    private readonly handover: ComputeHandover,
    private readonly completion: MigrationCompletion,
    @Inject(APP_CONFIG) private readonly cfg: WorkerConfig,
  ) {
    this.throttle = new ByteThrottle(cfg.VOLUME_COPY_BPS_LIMIT);
  }

  async run(req: RunMigrationRequest, migration: VolumeMigrationEntity, signal: AbortSignal, log: Logger): Promise<void> {
    if (!req.destVolumeId) throw new Error('host-assisted migration without a destination volume');
    const copy = { ...req, destVolumeId: req.destVolumeId };
    const source = await this.ds.getRepository(VolumeEntity).findOneByOrFail({ id: req.volumeId });
    await this.ensureDestination(copy, source.size);
    if (await this.handover.handOver(copy, log)) return;
    await this.copy(copy, migration, source, signal, log);
    await closeRemoteTarget(this.cfg, this.workers, req);
    await this.completion.completeCopy(copy, log);
  }

  /** The destination volume exists and is available (Cinder waits up to migration_create_volume_timeout_secs). */
  private async ensureDestination(req: HostCopyRequest, sizeGb: number): Promise<void> {
    const reply = await this.workers.createVolume(
      req.destPoolHost,
      { volumeId: req.destVolumeId, poolHost: req.destPoolHost, sizeGb },
      { timeoutMs: this.cfg.MIGRATION_CREATE_TIMEOUT_S * 1000 },
    );
    if (reply.status !== 'available') throw new Error(`failed to create the destination volume on ${req.destPoolHost}`);
  }

  /** Copies from the checkpoint to the end, recording progress; stops when the volume leaves `migrating`. */
  private async copy(req: HostCopyRequest, migration: VolumeMigrationEntity, source: VolumeEntity, signal: AbortSignal, log: Logger): Promise<void> {
    const sizeBytes = source.size * GIB;
    const sourcePath = this.driver.devicePath(this.volumes.poolOf(source), volumeName(source));
    const sink = await this.openSink(req, sizeBytes);
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
    const record = () =>
      recordCopyProgress(this.ds.manager, { migrationId: req.migrationId, volumeId: req.volumeId, percent: tracker.percent, bytesDone: checkpoint });
    const persist = async (force = false) => {
      if (!force && Date.now() - lastPersist < PERSIST_EVERY_MS) return;
      lastPersist = Date.now();
      // An admin reset the volume (os-reset_status): stop copying and clean up.
      if (!(await record())) cancelled.abort(new Error('the volume is no longer migrating (reset by an admin)'));
    };
    log.info(
      { sourcePath, destWorker: extractHost(req.destPoolHost, 'host'), startOffset, sizeBytes },
      startOffset ? 'resuming copy from checkpoint' : 'copy started',
    );
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
      if (signal.aborted) await record().catch(() => undefined);
      throw combined.aborted && !signal.aborted ? (cancelled.signal.reason as Error) : err;
    } finally {
      await sink.close().catch(() => undefined);
    }
    tracker.complete();
    await persist(true);
  }

  private async openSink(req: HostCopyRequest, sizeBytes: number): Promise<CopySink> {
    const destVolume = await this.ds.getRepository(VolumeEntity).findOneByOrFail({ id: req.destVolumeId });
    if (isThisHost(this.cfg, req.destPoolHost)) {
      return localSink(this.driver.devicePath(this.volumes.poolOf(destVolume), volumeName(destVolume)), {
        directIo: this.cfg.VOLUME_COPY_DIRECT_IO,
      });
    }
    const secret = randomBytes(32).toString('hex');
    const { url } = await this.workers.openMigrationTarget(req.destPoolHost, {
      migrationId: req.migrationId,
      destVolumeId: destVolume.id,
      sizeBytes,
      secret,
    });
    return remoteSink(url, secret);
  }
}
