import { EntityManager } from 'typeorm';
import { CodedError, ErrorCode } from '@volume/contracts';
import { ACTIVE_MIGRATION_STATUSES, checkMigrationCompletion } from '@volume/domain';
import { VolumeEntity, volumeName } from '../entities/volume.entity';

/**
 * Cinder's `migrate_volume_completion` (success) with `finish_volume_migration`; both the host copy
 * and the compute side's completion end here. The volume keeps its id and takes the new data (host,
 * `name_id` = the destination's data name); the destination row takes the old data and becomes
 * `deleting`. Attachments made on the destination (Nova's new one) move to the original id, which
 * is `attached` and gets its status back (`previous_status`). All of it or nothing.
 *
 * Returns the id of the row that now names the old data; the caller removes it after the commit,
 * when the new data is the volume's for good.
 *
 * @throws CodedError(NotFound) when either row is gone; CodedError(InvalidVolume) with Cinder's
 *   texts when the volume is not migrating or the other row is not its destination.
 */
export function finishVolumeMigration(em: EntityManager, volumeId: string, newVolumeId: string): Promise<string> {
  return em.transaction(async (tx) => {
    const repo = tx.getRepository(VolumeEntity);
    // One statement, in id order: two completions of crossed pairs can never deadlock.
    const locked = await repo
      .createQueryBuilder('v')
      .setLock('pessimistic_write')
      .where('v.id IN (:...ids)', { ids: [volumeId, newVolumeId] })
      .orderBy('v.id')
      .getMany();
    const src = locked.find((v) => v.id === volumeId);
    const dst = locked.find((v) => v.id === newVolumeId);
    if (!src) throw new CodedError(ErrorCode.NotFound, `Volume ${volumeId} could not be found.`);
    if (!dst) throw new CodedError(ErrorCode.NotFound, `Volume ${newVolumeId} could not be found.`);
    // Stricter than the API's check: a volume still starting has no complete copy to swap in.
    if (src.migrationStatus !== 'migrating') throw new CodedError(ErrorCode.InvalidVolume, 'Invalid volume: Source volume not mid-migration.');
    checkMigrationCompletion(src, dst);

    await tx.query(`UPDATE volume_attachments SET volume_id = $1, updated_at = now() WHERE volume_id = $2`, [src.id, dst.id]);
    const [{ attached }]: { attached: boolean }[] = await tx.query(
      `SELECT EXISTS (SELECT 1 FROM volume_attachments WHERE volume_id = $1 AND attach_status = 'attached') AS attached`,
      [src.id],
    );
    const now = new Date();
    await repo.update(
      { id: src.id },
      {
        host: dst.host,
        nameId: volumeName(dst),
        providerLocation: dst.providerLocation,
        availabilityZone: dst.availabilityZone,
        serviceUuid: dst.serviceUuid,
        sharedTargets: dst.sharedTargets,
        migrationStatus: 'success',
        migrationProgress: null,
        status: restoredStatus(src),
        ...(attached ? { attachStatus: 'attached' } : {}),
        updatedAt: now,
      },
    );
    await repo.update(
      { id: dst.id },
      {
        host: src.host,
        nameId: volumeName(src),
        providerLocation: src.providerLocation,
        status: 'deleting',
        attachStatus: 'detached',
        migrationStatus: 'deleting',
        displayDescription: `migration src for ${src.id}`,
        updatedAt: now,
      },
    );
    await tx.query(
      `UPDATE volume_migrations SET status = 'success', bytes_done = bytes_total, finished_at = now(), updated_at = now()
        WHERE volume_id = $1 AND dest_volume_id = $2 AND status = ANY($3)`,
      [src.id, dst.id, ACTIVE_MIGRATION_STATUSES],
    );
    return dst.id;
  });
}

/** Cinder sets `status = previous_status`; a row without one keeps its status (a lock gives way to available). */
function restoredStatus(v: Pick<VolumeEntity, 'status' | 'previousStatus'>): string {
  return v.previousStatus ?? (v.status === 'maintenance' ? 'available' : v.status);
}
