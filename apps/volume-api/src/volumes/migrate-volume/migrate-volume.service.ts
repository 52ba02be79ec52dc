import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { MigrationRequestTarget } from '@volume/api-dtos';
import { CodedError, ErrorCode } from '@volume/contracts';
import { extractHost, MigrationDestination } from '@volume/domain';
import { LOGGER } from '@volume/platform';
import { endMigrationWithError, startVolumeMigration } from '@volume/persistence';
import { API_CONFIG } from '../../api-config.token';
import { SchedulerRpcClient } from '@volume/rpc-clients';
import type { ApiConfig } from '../../config';

export interface MigrateVolumeCommand {
  volumeId: string;
  target: MigrationRequestTarget;
  forceHostCopy: boolean;
  lockVolume: boolean;
  requestId: string;
}

/**
 * An admin moves a volume to another host (Cinder's migrate_volume). An in-use volume keeps its
 * status (lock_volume only locks an available one): the guest goes on using it while the compute
 * side swaps it (docs/attached-volume-migration.md).
 */
@Injectable()
export class MigrateVolumeService {
  constructor(
    private readonly ds: DataSource,
    private readonly scheduler: SchedulerRpcClient,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  /**
   * After the request's checks, in Cinder's order: the destination service (400), then the start,
   * which decides between racing requests; the scheduler takes it from there.
   */
  async migrate(cmd: MigrateVolumeCommand): Promise<void> {
    const { volumeId, target, requestId } = cmd;
    const requestedDest = 'host' in target ? target.host : target.cluster;
    await this.requireVolumeService(requestedDest, 'cluster' in target);
    const destination: MigrationDestination = 'host' in target ? { host: target.host } : { clusterName: target.cluster };
    const migrationId = randomUUID();
    await startVolumeMigration(this.ds.manager, {
      migrationId,
      volumeId,
      destination,
      requestedDest,
      lockVolume: cmd.lockVolume,
      forceHostCopy: cmd.forceHostCopy,
    });
    this.log.info({ reqId: requestId, volumeId, migrationId, destHost: requestedDest }, 'migration accepted');
    try {
      await this.scheduler.scheduleMigration({ migrationId, volumeId, destHost: requestedDest, forceHostCopy: cmd.forceHostCopy }, requestId);
    } catch (err) {
      // Nobody took it: end it now, as the scheduler would have, so nothing stays `starting`.
      this.log.error({ err, reqId: requestId, volumeId, migrationId }, 'no scheduler took the migration');
      const error = `scheduler unavailable: ${(err as Error).message}`;
      await endMigrationWithError(this.ds.manager, { migrationId, volumeId, error });
    }
  }

  /** Cinder: `Service.get_by_id(host=extract_host(host, 'backend'), topic='cinder-volume', is_up=True, disabled=False)`. */
  private async requireVolumeService(dest: string, isCluster: boolean): Promise<void> {
    const backend = isCluster ? null : extractHost(dest, 'backend');
    const rows = backend
      ? await this.ds.query(
          `SELECT 1 FROM services
            WHERE host = $1 AND "binary" = 'cinder-volume' AND NOT disabled
              AND updated_at > now() - make_interval(secs => $2)`,
          [backend, this.config.SERVICE_DOWN_TIME_S],
        )
      : [];
    if (rows.length === 0) throw new CodedError(ErrorCode.InvalidHost, `Invalid host: No available service named '${dest}'`);
  }
}
