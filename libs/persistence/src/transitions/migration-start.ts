import { EntityManager } from 'typeorm';
import { ACTIVE_MIGRATION_STATUSES, GIB, MigrationDestination, startMigration } from '@volume/domain';
import { MigrationMode, VolumeMigrationEntity } from '../entities/volume-migration.entity';
import { VolumeEntity } from '../entities/volume.entity';
import { lockVolume } from './locked-volume';

export interface MigrationRequest {
  migrationId: string;
  volumeId: string;
  destination: MigrationDestination;
  /** The destination as requested (a host, or a cluster's name), recorded on the migration's row. */
  requestedDest: string;
  lockVolume: boolean;
  forceHostCopy: boolean;
  /** The migration's own copy limit (3.73), bytes per second; null or absent: the host's. */
  bandwidthLimit?: number | null;
}

/**
 * os-migrate_volume accepted: the fields startMigration decides on the locked row (so that of two
 * racing requests one wins and the other is refused), and the migration's row, `starting`, for the
 * scheduler to place.
 * @throws CodedError(NotFound) when the volume is gone; CodedError(InvalidVolume) with Cinder's text.
 */
export function startVolumeMigration(em: EntityManager, m: MigrationRequest): Promise<void> {
  return em.transaction(async (tx) => {
    const volume = await lockVolume(tx, m.volumeId);
    const update = startMigration(volume, m.destination, m.lockVolume);
    const now = new Date();
    await tx.getRepository(VolumeEntity).update({ id: volume.id }, { ...update, migrationProgress: null, updatedAt: now });
    await tx.getRepository(VolumeMigrationEntity).insert({
      id: m.migrationId,
      volumeId: volume.id,
      sourceHost: volume.host ?? '',
      destHost: m.requestedDest,
      status: update.migrationStatus,
      forceHostCopy: m.forceHostCopy,
      lockVolume: m.lockVolume,
      bandwidthLimit: m.bandwidthLimit ?? null,
      bytesTotal: volume.size * GIB,
      bytesDone: 0,
      startedAt: now,
      updatedAt: now,
    });
  });
}

/**
 * How the volume's migration under way moves the data, as recorded on its row: the API asks the
 * compute side for the progress of a `compute-swap`, the source host for any other.
 * @returns null when no migration is under way or its mode is not decided yet (not placed).
 */
export async function activeMigrationMode(em: EntityManager, volumeId: string): Promise<MigrationMode | null> {
  const [row]: { mode: MigrationMode | null }[] = await em.query(
    `SELECT mode FROM volume_migrations WHERE volume_id = $1 AND status = ANY($2) ORDER BY started_at DESC LIMIT 1`,
    [volumeId, ACTIVE_MIGRATION_STATUSES],
  );
  return row?.mode ?? null;
}
