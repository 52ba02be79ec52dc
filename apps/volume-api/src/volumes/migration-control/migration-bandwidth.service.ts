import { Inject, Injectable } from '@nestjs/common';
import { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { CodedError, ErrorCode } from '@volume/contracts';
import { LOGGER } from '@volume/platform';
import { setMigrationBandwidth } from '@volume/persistence';
import { ComputeRpcClient, WorkerRpcClient } from '@volume/rpc-clients';

/**
 * os-migrate_volume_set_bandwidth (3.73): the limit goes on the migration's row first (a copy that
 * starts or resumes later takes it from there), then to the copy running on its source host, whose
 * throttle takes it at once (a compute swap's: to nova-bridge, whose mirror takes it at once). The
 * host's VOLUME_COPY_BPS_LIMIT (SWAP_COPY_BPS_LIMIT for a swap) stays a ceiling.
 */
@Injectable()
export class MigrationBandwidthService {
  constructor(
    private readonly ds: DataSource,
    private readonly workers: WorkerRpcClient,
    private readonly compute: ComputeRpcClient,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  /** @throws CodedError(InvalidVolume) when the volume has no migration that runs (or is yet to run). */
  async set(volumeId: string, bytesPerSecond: number | null, requestId: string): Promise<void> {
    const migration = await setMigrationBandwidth(this.ds.manager, volumeId, bytesPerSecond);
    if (!migration) {
      throw new CodedError(ErrorCode.InvalidVolume, `Invalid volume: Volume ${volumeId} is not being migrated; there is no copy to limit.`);
    }
    const log = this.log.child({ reqId: requestId, volumeId, migrationId: migration.id, bytesPerSecond });
    if (migration.mode === null) {
      log.info('migration bandwidth recorded; it applies when the copy starts');
      return;
    }
    if (migration.mode === 'compute-swap') {
      try {
        const { outcome } = await this.compute.setSwapBandwidth(volumeId, bytesPerSecond, requestId);
        log.info({ outcome }, outcome === 'applied' ? 'swap bandwidth changed' : 'migration bandwidth recorded; the compute side paces no copy of it now');
      } catch (err) {
        log.warn({ err }, 'the compute side did not answer; the recorded limit applies when its swap resumes');
      }
      return;
    }
    try {
      const { applied } = await this.workers.setMigrationBandwidth(migration.sourceHost, migration.id, bytesPerSecond, requestId);
      log.info({ applied }, applied ? 'migration bandwidth changed' : 'migration bandwidth recorded; no copy of it runs now');
    } catch (err) {
      log.warn({ err }, 'the source host did not answer; the recorded limit applies when its copy resumes');
    }
  }
}
