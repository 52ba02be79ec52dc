import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { CodedError, ErrorCode } from '@volume/contracts';
import { migrationTargetStatus, VolumeMigrationStatus } from '@volume/domain';
import { VolumeEntity } from '../entities/volume.entity';
import { MigrationMode } from '../entities/volume-migration.entity';

/** The migration status the API leaves for the scheduler to place. */
const AWAITING_PLACEMENT: VolumeMigrationStatus = 'starting';

/**
 * Locks the volume of an accepted migration for its placement, in the caller's transaction (the one
 * that also locks the pools), so that the destination is reserved against what the volume is now.
 * @throws CodedError(InvalidVolume) when the volume is gone, has no host, or is not waiting for a placement.
 */
export async function lockMigrationSource(em: EntityManager, volumeId: string): Promise<VolumeEntity & { host: string }> {
  const volume = await em.getRepository(VolumeEntity).findOne({ where: { id: volumeId }, lock: { mode: 'pessimistic_write' } });
  if (!volume || volume.migrationStatus !== AWAITING_PLACEMENT || !volume.host) {
    throw new CodedError(ErrorCode.InvalidVolume, `Volume ${volumeId} is not waiting for a migration`);
  }
  return volume as VolumeEntity & { host: string };
}

/**
 * A host-assisted migration's destination row (Cinder's `_migrate_volume_generic` creates it as a
 * copy of the source): `creating` on the chosen pool, `migration_status = target:<source id>`, not
 * counted in quotas. Its host's worker makes the file when the source host asks for it.
 * @returns the destination's id.
 */
export async function reserveDestination(
  em: EntityManager,
  source: VolumeEntity,
  dest: { poolHost: string; availabilityZone: string },
): Promise<string> {
  const destVolumeId = randomUUID();
  await em.query(
    `INSERT INTO volumes (id, project_id, user_id, display_name, display_description, size, status, attach_status,
                          migration_status, host, availability_zone, volume_type_id, shared_targets, use_quota, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, 'creating', 'detached', $7, $8, $9, $10, true, false, now())`,
    [
      destVolumeId,
      source.projectId,
      source.userId,
      source.displayName,
      source.displayDescription,
      source.size,
      migrationTargetStatus(source.id),
      dest.poolHost,
      dest.availabilityZone,
      source.volumeTypeId,
    ],
  );
  return destVolumeId;
}

/** What the scheduler decided, on the migration's row: the source host's worker runs it from there. */
export async function recordPlacement(
  em: EntityManager,
  m: { migrationId: string; mode: MigrationMode; destPoolHost: string; destVolumeId: string | null; sourceHost: string },
): Promise<void> {
  await em.query(
    `UPDATE volume_migrations SET mode = $2, dest_host = $3, dest_volume_id = $4, source_host = $5, updated_at = now() WHERE id = $1`,
    [m.migrationId, m.mode, m.destPoolHost, m.destVolumeId, m.sourceHost],
  );
}

/** A reserved destination nobody started to make (its source host never took the migration) simply goes. */
export async function dropUnusedDestination(em: EntityManager, destVolumeId: string): Promise<void> {
  await em.query(`DELETE FROM volumes WHERE id = $1 AND status = 'creating'`, [destVolumeId]);
}
