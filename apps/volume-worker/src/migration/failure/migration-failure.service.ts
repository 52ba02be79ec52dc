import { Inject, Injectable } from '@nestjs/common';
import { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { MigrationCompletionRequest, RunMigrationRequest } from '@volume/contracts';
import { endMigrationWithError, markDestinationDeleting, untilDatabaseAnswers, VolumeEntity, VolumeMigrationEntity } from '@volume/persistence';
import { APP_CONFIG } from '@volume/platform';
import { WorkerRpcClient } from '@volume/rpc-clients';
// A type-only import: decorator metadata would otherwise reference a value that does not exist.
import type { WorkerConfig } from '../../config';
import { closeRemoteTarget } from '../this-host';

/**
 * A migration that cannot go on ends in error: the source keeps its data and its host (and gets its
 * status back); the destination, row and data, goes away.
 */
@Injectable()
export class MigrationFailure {
  constructor(
    private readonly ds: DataSource,
    private readonly workers: WorkerRpcClient,
    @Inject(APP_CONFIG) private readonly cfg: WorkerConfig,
  ) {}

  /**
   * A run of this host failed (or found the volume gone from the migration). Its writes wait for a
   * database that does not answer: a migration must end, never stay `migrating` for the watchdog.
   */
  async fail(req: RunMigrationRequest, migration: VolumeMigrationEntity, error: string, log: Logger, signal?: AbortSignal): Promise<void> {
    const destVolumeId = req.destVolumeId ?? migration.destVolumeId;
    if (destVolumeId) {
      await closeRemoteTarget(this.cfg, this.workers, req, { log, signal });
      await this.removeDestination(req.volumeId, destVolumeId, req.destPoolHost, log, signal);
    }
    await untilDatabaseAnswers(
      'ending the migration in error',
      () => endMigrationWithError(this.ds.manager, { migrationId: req.migrationId, volumeId: req.volumeId, error }),
      { log, signal },
    );
  }

  /** Completion with error (Cinder: delete the new volume, `migration_status = error`, status back). */
  async abandon(req: MigrationCompletionRequest, migrationId: string | null, log: Logger): Promise<void> {
    const dest = await this.ds.getRepository(VolumeEntity).findOne({ select: { id: true, host: true }, where: { id: req.newVolumeId } });
    if (dest?.host) await this.removeDestination(req.volumeId, req.newVolumeId, dest.host, log);
    await endMigrationWithError(this.ds.manager, {
      migrationId,
      volumeId: req.volumeId,
      error: 'the compute side could not swap the volume (os-migrate_volume_completion with error)',
    });
    log.warn({ volumeId: req.volumeId, newVolumeId: req.newVolumeId }, 'compute swap failed; the destination is removed and the source stays');
  }

  /** Only a row that is still this volume's destination: never one the rows' swap gave the data to. */
  private async removeDestination(volumeId: string, destVolumeId: string, destHost: string, log: Logger, signal?: AbortSignal): Promise<void> {
    const marked = await untilDatabaseAnswers(
      'marking the destination for deletion',
      () => markDestinationDeleting(this.ds.manager, { volumeId, destVolumeId }),
      { log, signal },
    );
    if (marked) {
      await this.workers
        .deleteVolume(destHost, destVolumeId)
        .catch((err) => log.warn({ err, destVolumeId }, 'destination cleanup deferred to its host restart'));
    }
  }
}
