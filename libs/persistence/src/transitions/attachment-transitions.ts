import { EntityManager } from 'typeorm';
import { AVAILABLE_MIGRATION_STATUSES, checkReservable, VolumeStatus, volumeAfterDetach } from '@volume/domain';
import { JsonDocument, VolumeAttachmentEntity } from '../entities/volume-attachment.entity';
import { VolumeEntity } from '../entities/volume.entity';
import { lockVolume } from './locked-volume';

// The 3.27+ attachment flow Nova drives (reserve, connect, complete, delete), the os-begin_detaching /
// os-roll_detaching bracket around a detach, and the attachments' move when Nova swaps volumes on its
// own. Each writes the attachment row and its volume's status together.

const RESERVED: VolumeStatus = 'reserved';
const IN_USE: VolumeStatus = 'in-use';
const DETACHING: VolumeStatus = 'detaching';
/** AVAILABLE_MIGRATION_STATUSES as SQL compares them: NULL apart. */
const ENDED_MIGRATION_STATUSES = AVAILABLE_MIGRATION_STATUSES.filter((s): s is string => s !== null);

export interface NewAttachment {
  id: string;
  volumeId: string;
  instanceUuid: string | null;
  mode: 'rw' | 'ro';
}

/**
 * An attachment reserves its volume (`reserved`), once checkReservable accepts the locked row: of
 * racing attach, delete and migrate requests, the first decides what the others find.
 * @throws CodedError(NotFound) when the volume is gone; CodedError(InvalidVolume) with Cinder's text.
 */
export function reserveAttachment(em: EntityManager, a: NewAttachment): Promise<void> {
  return em.transaction(async (tx) => {
    const volume = await lockVolume(tx, a.volumeId);
    checkReservable(volume);
    const now = new Date();
    await tx.getRepository(VolumeEntity).update({ id: volume.id }, { status: RESERVED, updatedAt: now });
    await tx.getRepository(VolumeAttachmentEntity).insert({
      id: a.id,
      volumeId: volume.id,
      projectId: volume.projectId,
      instanceUuid: a.instanceUuid,
      attachStatus: 'reserved',
      attachMode: a.mode,
      createdAt: now,
    });
  });
}

export interface AttachmentConnection {
  attachmentId: string;
  volumeId: string;
  connector: JsonDocument;
  connectionInfo: JsonDocument;
  mode: string;
  attachedHost: string | null;
  mountpoint: string | null;
}

/** The volume's host gave the connection: the attachment is `attaching`, and so is a volume still `reserved`. */
export function connectAttachment(em: EntityManager, c: AttachmentConnection): Promise<void> {
  return em.transaction(async (tx) => {
    await tx.getRepository(VolumeAttachmentEntity).update(
      { id: c.attachmentId },
      {
        connector: c.connector,
        connectionInfo: c.connectionInfo,
        attachStatus: 'attaching',
        attachMode: c.mode,
        attachedHost: c.attachedHost,
        mountpoint: c.mountpoint,
        updatedAt: new Date(),
      },
    );
    await tx.query(`UPDATE volumes SET status = 'attaching', updated_at = now() WHERE id = $1 AND status = $2`, [c.volumeId, RESERVED]);
  });
}

/** os-complete: the consumer uses the volume now; like Cinder's db `volume_attached`, whatever the volume's status was. */
export function completeAttachment(em: EntityManager, a: { attachmentId: string; volumeId: string }): Promise<void> {
  return em.transaction(async (tx) => {
    const now = new Date();
    await tx.getRepository(VolumeAttachmentEntity).update({ id: a.attachmentId }, { attachStatus: 'attached', attachTime: now, updatedAt: now });
    await tx.getRepository(VolumeEntity).update({ id: a.volumeId }, { status: IN_USE, attachStatus: 'attached', updatedAt: now });
  });
}

/**
 * Removes an attachment; its volume's status follows volumeAfterDetach, judged on the locked row
 * (so that a migration's completion, which locks it too, is seen whole or not at all).
 * @returns the volume's remaining attachments, as Cinder answers.
 */
export function deleteAttachment(em: EntityManager, a: { attachmentId: string; volumeId: string }): Promise<VolumeAttachmentEntity[]> {
  return em.transaction(async (tx) => {
    const volume = await lockVolume(tx, a.volumeId);
    const attachments = tx.getRepository(VolumeAttachmentEntity);
    await attachments.delete({ id: a.attachmentId });
    const remaining = await attachments.find({ where: { volumeId: volume.id } });
    const after = volumeAfterDetach(volume, remaining);
    await tx.getRepository(VolumeEntity).update({ id: volume.id }, { ...after, updatedAt: new Date() });
    return remaining;
  });
}

/**
 * os-begin_detaching: in-use, attached and not migrating -> `detaching`, in one conditional UPDATE
 * (Cinder's), so that a racing migrate or detach loses.
 * @returns false when the volume was not in that state (the caller judges with beginDetachingOutcome).
 */
export async function beginDetaching(em: EntityManager, volumeId: string): Promise<boolean> {
  const [, affected]: [unknown, number] = await em.query(
    `UPDATE volumes SET status = $2, updated_at = now()
      WHERE id = $1 AND status = $3 AND attach_status = 'attached'
        AND (migration_status IS NULL OR migration_status = ANY($4))`,
    [volumeId, DETACHING, IN_USE, ENDED_MIGRATION_STATUSES],
  );
  return affected > 0;
}

/** os-roll_detaching: `detaching` -> `in-use`; any other status is left alone (Cinder's conditional update, no error). */
export async function rollDetaching(em: EntityManager, volumeId: string): Promise<void> {
  await em.query(`UPDATE volumes SET status = $2, updated_at = now() WHERE id = $1 AND status = $3`, [volumeId, IN_USE, DETACHING]);
}

/**
 * Nova swapped volumes on its own (neither migrates): Cinder detaches the old volume and attaches the
 * new one in its place; here the attachment rows move, so their ids stay valid. Both volumes are
 * locked in id order, so two swaps of crossed pairs never deadlock.
 * @returns false when the old volume had no attachment to move (nothing changed).
 */
export function moveSwappedAttachments(em: EntityManager, oldVolumeId: string, newVolumeId: string): Promise<boolean> {
  return em.transaction(async (tx) => {
    await tx.query(`SELECT id FROM volumes WHERE id IN ($1, $2) ORDER BY id FOR UPDATE`, [oldVolumeId, newVolumeId]);
    const [moved]: [unknown[], number] = await tx.query(
      `UPDATE volume_attachments SET volume_id = $2, attach_status = 'attached', updated_at = now() WHERE volume_id = $1 RETURNING id`,
      [oldVolumeId, newVolumeId],
    );
    if (moved.length === 0) return false;
    const volumes = tx.getRepository(VolumeEntity);
    const now = new Date();
    await volumes.update({ id: oldVolumeId }, { status: 'available', attachStatus: 'detached', updatedAt: now });
    await volumes.update({ id: newVolumeId }, { status: IN_USE, attachStatus: 'attached', updatedAt: now });
    return true;
  });
}
