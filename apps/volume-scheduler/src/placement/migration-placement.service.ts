import { Inject, Injectable } from '@nestjs/common';
import { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { CodedError, ErrorCode, MigrationModeName, ScheduleMigrationRequest } from '@volume/contracts';
import { extractHost, migrationMode, place } from '@volume/domain';
import { APP_CONFIG, LOGGER } from '@volume/platform';
import { dropUnusedDestination, endMigrationWithError, lockMigrationSource, recordPlacement, reserveDestination } from '@volume/persistence';
import { WorkerRpcClient } from '@volume/rpc-clients';
import type { SchedulerConfig } from '../config';
import { PlacementService } from './placement.service';

interface Reserved {
  destPoolHost: string;
  sourceHost: string;
  mode: MigrationModeName;
  destVolumeId: string | null;
}

/**
 * Checks a migration's destination as Cinder's `backend_passes_filters` does (capacity included)
 * and reserves it in the same transaction that locks the pools: a host-assisted migration gets its
 * destination row (`migration_status = target:<id>`) here, so that concurrent creates and
 * migrations never overfill the pool; an attached volume always gets one (never driver-assisted).
 * Then the source host's worker runs the migration.
 */
@Injectable()
export class MigrationPlacementService {
  constructor(
    private readonly ds: DataSource,
    private readonly workers: WorkerRpcClient,
    private readonly placement: PlacementService,
    @Inject(APP_CONFIG) private readonly config: SchedulerConfig,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  async scheduleMigration(req: ScheduleMigrationRequest, requestId: string | undefined, log: Logger = this.log): Promise<void> {
    let reserved: Reserved;
    try {
      reserved = await this.reserve(req);
    } catch (err) {
      const reason = err instanceof CodedError ? err.message : `placement failed: ${(err as Error).message}`;
      log.error({ err, volumeId: req.volumeId, migrationId: req.migrationId }, 'migration not placed; it ends in error');
      await endMigrationWithError(this.ds.manager, { migrationId: req.migrationId, volumeId: req.volumeId, error: reason });
      return;
    }
    log.info({ volumeId: req.volumeId, migrationId: req.migrationId, ...reserved }, 'migration destination reserved');
    try {
      await this.workers.runMigration(
        reserved.sourceHost,
        { migrationId: req.migrationId, volumeId: req.volumeId, destPoolHost: reserved.destPoolHost, mode: reserved.mode, destVolumeId: reserved.destVolumeId },
        requestId,
      );
    } catch (err) {
      log.error({ err, volumeId: req.volumeId }, 'source worker did not take the migration; it ends in error');
      await this.ds.transaction(async (em) => {
        if (reserved.destVolumeId) await dropUnusedDestination(em, reserved.destVolumeId);
        await endMigrationWithError(em, {
          migrationId: req.migrationId,
          volumeId: req.volumeId,
          error: `source host unavailable: ${(err as Error).message}`,
        });
      });
    }
  }

  private async reserve(req: ScheduleMigrationRequest): Promise<Reserved> {
    return this.ds.transaction(async (em) => {
      const vol = await lockMigrationSource(em, req.volumeId);
      const specs: { key: string; value: string }[] = await em.query(
        `SELECT key, value FROM volume_type_extra_specs WHERE volume_type_id = $1`,
        [vol.volumeTypeId],
      );
      const wantedBackend = extractHost(req.destHost, 'backend');
      const wantedPool = extractHost(req.destHost, 'pool');
      // The destination is the asked backend (and pool, if named), never the pool the volume is on.
      const pools = (await this.placement.livePools(em, true)).filter(
        (p) => extractHost(p.host, 'backend') === wantedBackend && (!wantedPool || p.host === req.destHost) && p.host !== vol.host,
      );
      const result = place(
        { sizeGb: vol.size, extraSpecs: Object.fromEntries(specs.map((s) => [s.key, s.value])) },
        pools,
        { capacityWeightMultiplier: Number(this.config.CAPACITY_WEIGHT_MULTIPLIER) },
      );
      const best = result.candidates[0];
      if (!best) {
        const why = result.rejections.map((r) => `${r.pool}: ${r.reason}`).join('; ');
        throw new CodedError(ErrorCode.NoValidBackend, `No valid backend was found. Cannot place volume ${req.volumeId} on ${req.destHost}${why ? ` (${why})` : ''}`);
      }
      const destPoolHost = best.pool.host;
      const mode: MigrationModeName = migrationMode({
        sourceHost: vol.host,
        destPoolHost,
        forceHostCopy: req.forceHostCopy,
        status: vol.status,
        previousStatus: vol.previousStatus,
      });
      const destVolumeId =
        mode === 'host-assisted' ? await reserveDestination(em, vol, { poolHost: destPoolHost, availabilityZone: best.pool.availabilityZone }) : null;
      await recordPlacement(em, { migrationId: req.migrationId, mode, destPoolHost, destVolumeId, sourceHost: vol.host });
      return { destPoolHost, sourceHost: vol.host, mode, destVolumeId };
    });
  }
}
