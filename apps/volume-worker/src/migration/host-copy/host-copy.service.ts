import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { RunMigrationRequest } from '@volume/contracts';
import { extractHost, GIB, ProgressTracker, RateEstimator } from '@volume/domain';
import { recordCreatingDestination, untilDatabaseAnswers, VolumeEntity, VolumeMigrationEntity, volumeName } from '@volume/persistence';
import { APP_CONFIG, ByteThrottle, inTurn } from '@volume/platform';
import { WorkerRpcClient } from '@volume/rpc-clients';
import { FileDriver } from '../../backend/file-driver';
import { copyVolumeData, CopySink, localSink, remoteSink } from '../../copy/copy-engine';
import { isDestinationLost } from '../../copy/copy-sink';
// A type-only import: decorator metadata would otherwise reference a value that does not exist.
import type { WorkerConfig } from '../../config';
import { VolumeService } from '../../volume/volume.service';
import { ComputeHandover } from '../compute-handover/compute-handover.service';
import { MigrationCompletion } from '../completion/migration-completion.service';
import { destinationAskTimeoutMs, DestinationWait } from '../destination-wait';
import { CopyWork, ProgressRegistry } from '../progress-registry';
import { closeRemoteTarget, isThisHost } from '../this-host';
import { CopyRecorder, resumedProcessed } from './copy-recorder';

type HostCopyRequest = RunMigrationRequest & { destVolumeId: string };

/** One run's context: its log, its stop signal, and its patience with the destination host. */
interface RunContext {
  log: Logger;
  signal: AbortSignal;
  destination: DestinationWait;
}

/**
 * Cinder's `_migrate_volume_generic`: the destination volume is made on its host, the data is
 * copied to it (a local file, or the destination worker's data stream), then the rows swap. An
 * attached volume goes to the compute side instead. The copy records a durable checkpoint as it
 * goes, so that a restart of either host resumes it there: a destination that is away is waited for
 * (DestinationWait), and the database steps wait for the database.
 */
@Injectable()
export class HostCopy {
  /** One budget for every copy this host runs (VOLUME_COPY_BPS_LIMIT). */
  private readonly throttle: ByteThrottle;
  /**
   * The own limits of the migrations running here, by migration: what an admin changes while they
   * run (from the start of the run, so that a change while the destination is made is not lost),
   * with the copy's rate once it copies.
   */
  private readonly bandwidths = new Map<string, { bandwidth: ByteThrottle; rate?: RateEstimator }>();

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
    // For the whole run, so that a change while the destination is made is not lost; a resumed
    // copy keeps the limit an admin gave it, from the row.
    const own = { bandwidth: new ByteThrottle(migration.bandwidthLimit ?? 0) };
    this.bandwidths.set(req.migrationId, own);
    try {
      await this.migrate(req, migration, own, { signal, log });
    } finally {
      this.bandwidths.delete(req.migrationId);
    }
  }

  private async migrate(
    req: RunMigrationRequest,
    migration: VolumeMigrationEntity,
    own: { bandwidth: ByteThrottle; rate?: RateEstimator },
    { signal, log }: { signal: AbortSignal; log: Logger },
  ): Promise<void> {
    if (!req.destVolumeId) throw new Error('host-assisted migration without a destination volume');
    const copy = { ...req, destVolumeId: req.destVolumeId };
    const source = await untilDatabaseAnswers('reading the source', () => this.ds.getRepository(VolumeEntity).findOneByOrFail({ id: req.volumeId }), {
      log,
      signal,
    });
    let recorder: CopyRecorder | null = null;
    const destination = new DestinationWait({
      ds: this.ds,
      cfg: this.cfg,
      destPoolHost: req.destPoolHost,
      log,
      signal,
      // Before the copy starts, only the migration's liveness is worth a write.
      keepAlive: () => (recorder ? recorder.flush() : Promise.resolve(true)),
    });
    const ctx: RunContext = { log, signal, destination };
    // Only what an admin reads (the phase): the migration goes on without it.
    await recordCreatingDestination(this.ds.manager, req.migrationId).catch((err) => log.warn({ err: (err as Error).message }, 'recording the phase failed'));
    await destination.run('create the destination volume', () => this.ensureDestination(copy, source.size));
    if (await this.handover.handOver(copy, log)) return;
    await this.copy(copy, migration, source, ctx, own, (r) => (recorder = r));
    await closeRemoteTarget(this.cfg, this.workers, req, { log, signal });
    await this.completion.completeCopy(copy, log, signal);
  }

  /**
   * A running copy's own limit changes at once (null: the host's alone); its rate is measured
   * afresh from here, so that what an admin reads follows the new limit within seconds.
   * @returns false when no copy of that migration runs here.
   */
  setBandwidth(migrationId: string, bytesPerSecond: number | null): boolean {
    const running = this.bandwidths.get(migrationId);
    if (!running) return false;
    running.bandwidth.setRate(bytesPerSecond ?? 0);
    running.rate?.rebase();
    return true;
  }

  /** The destination volume exists and is available (Cinder waits up to migration_create_volume_timeout_secs). */
  private async ensureDestination(req: HostCopyRequest, sizeGb: number): Promise<void> {
    const reply = await this.workers.createVolume(
      req.destPoolHost,
      { volumeId: req.destVolumeId, poolHost: req.destPoolHost, sizeGb },
      { timeoutMs: destinationAskTimeoutMs(this.cfg) },
    );
    if (reply.status !== 'available') throw new Error(`failed to create the destination volume on ${req.destPoolHost}`);
  }

  /**
   * Copies from the checkpoint to the end, recording progress; stops when the volume leaves
   * `migrating`. A destination that goes away mid-copy is waited for, and the copy goes on from
   * what it made durable.
   */
  private async copy(
    req: HostCopyRequest,
    migration: VolumeMigrationEntity,
    source: VolumeEntity,
    ctx: RunContext,
    own: { bandwidth: ByteThrottle; rate?: RateEstimator },
    onRecorder: (recorder: CopyRecorder) => void,
  ): Promise<void> {
    const { log, signal } = ctx;
    const sizeBytes = source.size * GIB;
    const sourcePath = this.driver.devicePath(this.volumes.poolOf(source), volumeName(source));
    const startOffset = Math.min(migration.bytesDone, sizeBytes);
    const tracker = new ProgressTracker(sizeBytes, resumedProcessed(migration, source.migrationProgress, startOffset, sizeBytes));
    const rate = new RateEstimator();
    const work: CopyWork = { toRead: null, read: 0 };
    // From now on a copy that does not move shows (seconds since progress), even before its first block.
    rate.record(0);
    const { bandwidth } = own;
    own.rate = rate;
    const limits = {
      hostBytesPerSecond: this.cfg.VOLUME_COPY_BPS_LIMIT,
      ownBytesPerSecond: () => bandwidth.rate,
      stallWarnMs: this.cfg.MIGRATION_STALL_WARN_S * 1000,
    };
    this.registry.trackCopy(req.volumeId, { tracker, rate, work, limits }, { migrationId: req.migrationId, destination: req.destPoolHost });
    const recorder = new CopyRecorder(this.ds.manager, { migrationId: req.migrationId, volumeId: req.volumeId }, tracker, startOffset, log, () =>
      this.registry.figures(req.volumeId),
    );
    onRecorder(recorder);
    const combined = AbortSignal.any([signal, recorder.stopped]);
    log.info(
      { sourcePath, destWorker: extractHost(req.destPoolHost, 'host'), startOffset, sizeBytes },
      startOffset ? 'resuming copy from checkpoint' : 'copy started',
    );
    let readBefore = 0;
    try {
      await ctx.destination.run('copy to the destination', async () => {
        const from = recorder.checkpoint;
        const sink = await this.openSink(req, sizeBytes, ctx);
        try {
          const copied = await copyVolumeData({
            sourcePath,
            sizeBytes,
            startOffset: from,
            sink,
            directIo: this.cfg.VOLUME_COPY_DIRECT_IO,
            throttle: inTurn(bandwidth, this.throttle),
            signal: combined,
            onPlan: ({ bytesToRead }) => {
              work.toRead = readBefore + bytesToRead;
            },
            onProgress: (processed, bytesRead) => {
              tracker.update(processed);
              work.read = readBefore + bytesRead;
              rate.record(work.read);
              recorder.onProgress();
            },
            onCheckpoint: (durable) => recorder.onDurable(durable),
          });
          log.info({ ...copied, sizeBytes, startOffset: from }, 'copy finished');
        } catch (err) {
          readBefore = work.read;
          if (isDestinationLost(err)) log.warn({ err: err.message, checkpoint: recorder.checkpoint }, 'the destination went away mid-copy');
          throw err;
        } finally {
          await sink.close().catch(() => undefined);
        }
      });
    } catch (err) {
      if (signal.aborted) await recorder.flush().catch(() => undefined);
      throw recorder.stopped.aborted && !signal.aborted ? (recorder.stopped.reason as Error) : err;
    }
    tracker.complete();
    recorder.onDurable(sizeBytes);
    // The copy is durable: its end is recorded whatever the database's state, and never redone.
    if (!(await untilDatabaseAnswers('recording the copy end', () => recorder.flush(), { log, signal }))) {
      throw recorder.stopped.reason as Error;
    }
  }

  /** Opened again on each attempt (a destination that came back); only a local destination needs its row, for its file. */
  private async openSink(req: HostCopyRequest, sizeBytes: number, { log, signal }: RunContext): Promise<CopySink> {
    if (isThisHost(this.cfg, req.destPoolHost)) {
      const destVolume = await untilDatabaseAnswers(
        'reading the destination',
        () => this.ds.getRepository(VolumeEntity).findOneByOrFail({ id: req.destVolumeId }),
        { log, signal },
      );
      return localSink(this.driver.devicePath(this.volumes.poolOf(destVolume), volumeName(destVolume)), {
        directIo: this.cfg.VOLUME_COPY_DIRECT_IO,
      });
    }
    const secret = randomBytes(32).toString('hex');
    const { url } = await this.workers.openMigrationTarget(req.destPoolHost, {
      migrationId: req.migrationId,
      destVolumeId: req.destVolumeId,
      sizeBytes,
      secret,
    });
    return remoteSink(url, secret);
  }
}
