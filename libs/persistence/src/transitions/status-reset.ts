import { EntityManager } from 'typeorm';
import { ACTIVE_MIGRATION_STATUSES, checkResetStatus, ResetStatusUpdate, VolumeMigrationStatus } from '@volume/domain';
import { VolumeAttachmentEntity } from '../entities/volume-attachment.entity';
import { VolumeEntity } from '../entities/volume.entity';
import { lockVolume } from './locked-volume';

/** The one migration status a reset may set and leave the migration running under. */
const MIGRATING: VolumeMigrationStatus = 'migrating';

/**
 * The admin's escape hatch (Cinder's os-reset_status): sets what it is told, once checkResetStatus
 * accepts it on the locked row. A reset to `detached` drops the attachments; a migration status
 * reset to anything but `migrating` ends the migration under way, whose worker sees at its next
 * checkpoint that the volume is no longer `migrating` and stops.
 * @throws CodedError(NotFound) when the volume is gone; CodedError(BadRequest) with Cinder's texts.
 */
export function resetVolumeStatus(em: EntityManager, volumeId: string, update: ResetStatusUpdate): Promise<void> {
  return em.transaction(async (tx) => {
    await lockVolume(tx, volumeId);
    const hasAttachments = await tx.getRepository(VolumeAttachmentEntity).existsBy({ volumeId });
    checkResetStatus(update, { hasAttachments });
    const changes: Partial<VolumeEntity> = { updatedAt: new Date() };
    if (update.status !== undefined) changes.status = update.status;
    if (update.attachStatus !== undefined) changes.attachStatus = update.attachStatus;
    if (update.migrationStatus !== undefined) {
      changes.migrationStatus = update.migrationStatus;
      changes.migrationProgress = null;
    }
    await tx.getRepository(VolumeEntity).update({ id: volumeId }, changes);
    if (update.attachStatus === 'detached') await tx.getRepository(VolumeAttachmentEntity).delete({ volumeId });
    if (update.migrationStatus !== undefined && update.migrationStatus !== MIGRATING) {
      await tx.query(
        `UPDATE volume_migrations SET status = 'error', error = 'reset by an admin (os-reset_status)', finished_at = now(), updated_at = now()
          WHERE volume_id = $1 AND status = ANY($2)`,
        [volumeId, ACTIVE_MIGRATION_STATUSES],
      );
    }
  });
}
