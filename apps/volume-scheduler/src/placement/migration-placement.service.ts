import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { CodedError, ErrorCode, MigrationModeName, MigrationSubjects, ScheduleMigrationRequest } from '@volume/contracts';
import { extractHost, migrationTargetStatus, place } from '@volume/domain';
import { APP_CONFIG, LOGGER, NatsService } from '@volume/platform';
import { endMigrationWithError } from '@volume/persistence';
import { SchedulerConfig } from '../config';
import { migrationMode } from '@volume/domain';
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
    private readonly nats: NatsService,
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
      await this.ds.transaction((em) => endMigrationWithError(em, { migrationId: req.migrationId, volumeId: req.volumeId, error: reason }));
      return;
    }
    log.info({ volumeId: req.volumeId, migrationId: req.migrationId, ...reserved }, 'migration destination reserved');
    try {
      await this.nats.call(
        MigrationSubjects.run,
        { migrationId: req.migrationId, volumeId: req.volumeId, destPoolHost: reserved.destPoolHost, mode: reserved.mode, destVolumeId: reserved.destVolumeId },
        { host: extractHost(reserved.sourceHost, 'host') as string, requestId },
      );
    } catch (err) {
      log.error({ err, volumeId: req.volumeId }, 'source worker did not take the migration; it ends in error');
      await this.ds.transaction(async (em) => {
        if (reserved.destVolumeId) await em.query(`DELETE FROM volumes WHERE id = $1 AND status = 'creating'`, [reserved.destVolumeId]);
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
      const [vol] = await em.query(
        `SELECT id, size, host, project_id, user_id, volume_type_id, display_name, display_description, migration_status,
                status, previous_status
           FROM volumes WHERE id = $1 FOR UPDATE`,
        [req.volumeId],
      );
      if (!vol || vol.migration_status !== 'starting' || !vol.host) {
        throw new CodedError(ErrorCode.InvalidVolume, `Volume ${req.volumeId} is not waiting for a migration`);
      }
      const specs: { key: string; value: string }[] = await em.query(
        `SELECT key, value FROM volume_type_extra_specs WHERE volume_type_id = $1`,
        [vol.volume_type_id],
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
        previousStatus: vol.previous_status,
      });
      let destVolumeId: string | null = null;
      if (mode === 'host-assisted') {
        destVolumeId = randomUUID();
        await em.query(
          `INSERT INTO volumes (id, project_id, user_id, display_name, display_description, size, status, attach_status,
                                migration_status, host, availability_zone, volume_type_id, shared_targets, use_quota, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, 'creating', 'detached', $7, $8, $9, $10, true, false, now())`,
          [
            destVolumeId,
            vol.project_id,
            vol.user_id,
            vol.display_name,
            vol.display_description,
            vol.size,
            migrationTargetStatus(req.volumeId),
            destPoolHost,
            best.pool.availabilityZone,
            vol.volume_type_id,
          ],
        );
      }
      await em.query(
        `UPDATE volume_migrations SET mode = $2, dest_host = $3, dest_volume_id = $4, source_host = $5, updated_at = now() WHERE id = $1`,
        [req.migrationId, mode, destPoolHost, destVolumeId, vol.host],
      );
      return { destPoolHost, sourceHost: vol.host as string, mode, destVolumeId };
    });
  }
}
