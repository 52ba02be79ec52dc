import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { MigrationRequestTarget } from '@volume/api-dtos';
import { CodedError, ErrorCode, ScheduleMigrationRequest } from '@volume/contracts';
import { extractHost, MigrationDestination } from '@volume/domain';
import { LOGGER } from '@volume/platform';
import { endUnplacedMigration, startVolumeMigration } from '@volume/persistence';
import { API_CONFIG } from '../../api-config.token';
import { SchedulerRpcClient, untilServiceAnswers } from '@volume/rpc-clients';
import type { ApiConfig } from '../../config';
import { BackgroundCalls } from '../../shutdown/background-calls';

export interface MigrateVolumeCommand {
  volumeId: string;
  target: MigrationRequestTarget;
  forceHostCopy: boolean;
  lockVolume: boolean;
  /** The migration's own copy limit (3.73); null: the host's. */
  bandwidthBytesPerSecond: number | null;
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
    private readonly background: BackgroundCalls,
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
      bandwidthLimit: cmd.bandwidthBytesPerSecond,
    });
    this.log.info({ reqId: requestId, volumeId, migrationId, destHost: requestedDest }, 'migration accepted');
    // The 202 does not wait for a scheduler that is restarting (or NATS that is away): it is asked
    // again after the answer, within the bound (issue 17 §3).
    this.background.run(this.schedule({ migrationId, volumeId, destHost: requestedDest, forceHostCopy: cmd.forceHostCopy }, requestId));
  }

  /**
   * Never rejects. Nobody took it within the bound: it ends now, as the scheduler would have, so
   * nothing stays `starting`; unless a scheduler's watchdog placed it meanwhile.
   */
  private async schedule(request: ScheduleMigrationRequest, requestId: string): Promise<void> {
    const log = this.log.child({ reqId: requestId, volumeId: request.volumeId, migrationId: request.migrationId });
    try {
      await untilServiceAnswers(() => this.scheduler.scheduleMigration(request, requestId), { what: 'scheduling the migration', log, signal: this.background.signal });
    } catch (err) {
      log.error({ err }, 'no scheduler took the migration');
      const error = `scheduler unavailable: ${(err as Error).message}`;
      await endUnplacedMigration(this.ds.manager, { migrationId: request.migrationId, volumeId: request.volumeId, error }).catch((e) =>
        log.error({ err: e }, "cannot end the unscheduled migration; the scheduler's watchdog places it"),
      );
    }
  }

  /**
   * Cinder: `Service.get_by_id(host=extract_host(host, 'backend'), topic='cinder-volume', is_up=True, disabled=False)`.
   * Also the pre-flight estimate's check (3.73), which validates as os-migrate_volume does.
   */
  async requireVolumeService(dest: string, isCluster: boolean): Promise<void> {
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
