import { EntityManager, In } from 'typeorm';
import { checkVolumeUpdatable, planVolumeDelete, QuotaLimits, VolumeStatus } from '@volume/domain';
import { VolumeMetadataEntity } from '../entities/volume-metadata.entity';
import { VolumeEntity } from '../entities/volume.entity';
import { lockVolume } from './locked-volume';
import { CountedVolume, releaseVolumeQuota, reserveVolumeQuota } from './quota-usage';

// A volume's life outside migrations, as the API and the scheduler write it: accepted, placed (or
// failed), renamed, deleted.

const CREATING: VolumeStatus = 'creating';

export interface NewVolume {
  id: string;
  projectId: string;
  userId: string;
  displayName: string | null;
  displayDescription: string | null;
  size: number;
  availabilityZone: string;
  volumeTypeId: string;
  metadata: Record<string, string>;
}

/**
 * A volume the API accepted: `creating`, on no host yet, with its metadata, and its share of the
 * project's quota taken in the same transaction (Cinder's reserve and commit).
 * @param quotaDefaults the limits of a project that set none of its own.
 * @throws CodedError(OverLimit) with Cinder's text when the volume would pass a limit: nothing is written.
 */
export function createVolumeRecord(em: EntityManager, v: NewVolume, quotaDefaults: QuotaLimits): Promise<void> {
  return em.transaction(async (tx) => {
    // The rows first, the quota last: the project's usage stays locked until the commit, and every
    // create of the project waits for that lock (a burst of 200 queued on it, statement by statement).
    await tx.getRepository(VolumeEntity).insert({
      id: v.id,
      projectId: v.projectId,
      userId: v.userId,
      displayName: v.displayName,
      displayDescription: v.displayDescription,
      size: v.size,
      status: CREATING,
      attachStatus: 'detached',
      availabilityZone: v.availabilityZone,
      volumeTypeId: v.volumeTypeId,
      // Cinder's column default; the worker sets what its backend really does.
      sharedTargets: true,
      useQuota: true,
      createdAt: new Date(),
    });
    await insertMetadata(tx, v.id, v.metadata);
    await reserveVolumeQuota(tx, v, quotaDefaults);
  });
}

/**
 * Nobody will make the volume (no scheduler took the request, no pool fits, its worker did not
 * create it): a volume still `creating` ends in `error`, as Cinder's, and gives its quota back.
 */
export async function markCreateFailed(em: EntityManager, volumeId: string): Promise<void> {
  await markCreatesFailed(em, [volumeId]);
}

/** markCreateFailed for several volumes, in one transaction: each project's usage is locked once. */
export async function markCreatesFailed(em: EntityManager, volumeIds: readonly string[]): Promise<void> {
  await failCreates(em, `v.id = ANY($1) AND v.status = $2`, [volumeIds, CREATING]);
}

/**
 * Volumes that match `where` (over `v`) go to `error` and stop counting (`use_quota` false, which
 * 3.65's `consumes_quota` shows): the quota they took goes back now, and exactly once, since a
 * later delete of the error volume finds it not counting.
 * @returns the ids of the volumes that failed.
 */
function failCreates(em: EntityManager, where: string, params: unknown[]): Promise<string[]> {
  return em.transaction(async (tx) => {
    // TypeORM answers an UPDATE ... RETURNING with [rows, affected].
    const [rows]: [(CountedVolume & { id: string; counted: boolean })[], number] = await tx.query(
      `UPDATE volumes SET status = 'error', use_quota = false, updated_at = now()
         FROM (SELECT v.id, v.use_quota FROM volumes v WHERE ${where} FOR UPDATE) AS before
        WHERE volumes.id = before.id
        RETURNING volumes.id, volumes.project_id AS "projectId", volumes.size, before.use_quota AS counted`,
      params,
    );
    await releaseVolumeQuota(tx, rows.filter((r) => r.counted));
    return rows.map((r) => r.id);
  });
}

/**
 * The scheduler's first step: the volumes, locked in the caller's transaction (the one that also
 * locks the pools), that still wait for a pool; those that do not (gone, placed already, or no
 * longer `creating`) are left out. Locked in id order, so that two batches sharing a volume queue
 * rather than deadlock.
 */
export async function lockUnplacedVolumes(em: EntityManager, volumeIds: readonly string[]): Promise<VolumeEntity[]> {
  const volumes = await em
    .getRepository(VolumeEntity)
    .find({ where: { id: In([...volumeIds]) }, order: { id: 'ASC' }, lock: { mode: 'pessimistic_write' } });
  return volumes.filter((v) => v.status === CREATING && !v.host);
}

/** lockUnplacedVolumes for one volume, or null. */
export async function lockUnplacedVolume(em: EntityManager, volumeId: string): Promise<VolumeEntity | null> {
  return (await lockUnplacedVolumes(em, [volumeId]))[0] ?? null;
}

/** The pools the scheduler chose, on volumes lockUnplacedVolumes returned; their workers make the data next. */
export async function recordVolumePlacements(em: EntityManager, placements: readonly { volumeId: string; poolHost: string }[]): Promise<void> {
  await em.query(
    `UPDATE volumes SET host = p.host, updated_at = now()
       FROM unnest($1::uuid[], $2::varchar[]) AS p(id, host)
      WHERE volumes.id = p.id AND volumes.status = $3 AND volumes.host IS NULL`,
    [placements.map((p) => p.volumeId), placements.map((p) => p.poolHost), CREATING],
  );
}

/** recordVolumePlacements for one volume. */
export function recordVolumePlacement(em: EntityManager, volumeId: string, poolHost: string): Promise<void> {
  return recordVolumePlacements(em, [{ volumeId, poolHost }]);
}

/**
 * What a crash left behind: volumes still `creating` on no host after `olderThanS` seconds, which
 * nobody will place any more, end in `error`.
 * @returns their ids.
 */
export function failStaleCreates(em: EntityManager, olderThanS: number): Promise<string[]> {
  return failCreates(em, `v.status = $2 AND v.host IS NULL AND v.created_at < now() - make_interval(secs => $1)`, [olderThanS, CREATING]);
}

/** PUT volume's fields; `undefined` leaves a field alone, metadata is replaced whole. */
export interface VolumePropertyChanges {
  displayName?: string | null;
  displayDescription?: string | null;
  metadata?: Record<string, string>;
}

/**
 * Renames or re-describes a volume, or replaces its metadata.
 * @throws CodedError(NotFound) when the volume is gone; CodedError(InvalidVolume) from
 *   checkVolumeUpdatable when it is in maintenance (a locked migration).
 */
export function updateVolumeProperties(em: EntityManager, volumeId: string, changes: VolumePropertyChanges): Promise<void> {
  return em.transaction(async (tx) => {
    checkVolumeUpdatable((await lockVolume(tx, volumeId)).status);
    const fields: Partial<VolumeEntity> = { updatedAt: new Date() };
    if (changes.displayName !== undefined) fields.displayName = changes.displayName;
    if (changes.displayDescription !== undefined) fields.displayDescription = changes.displayDescription;
    await tx.getRepository(VolumeEntity).update({ id: volumeId }, fields);
    if (changes.metadata !== undefined) {
      await tx.getRepository(VolumeMetadataEntity).delete({ volumeId });
      await insertMetadata(tx, volumeId, changes.metadata);
    }
  });
}

async function insertMetadata(em: EntityManager, volumeId: string, metadata: Record<string, string>): Promise<void> {
  const rows = Object.entries(metadata).map(([key, value]) => ({ volumeId, key, value }));
  if (rows.length) await em.getRepository(VolumeMetadataEntity).insert(rows);
}

/** What a permitted delete did: the row is gone (never placed), or its host's worker removes the data. */
export type VolumeDeleteRequest = { destroyed: true } | { destroyed: false; host: string };

/**
 * DELETE volume, as planVolumeDelete rules on the locked row: a volume never placed goes at once
 * (metadata and attachments cascade, its quota goes back); any other becomes `deleting` (a racing
 * attach or migrate then finds it so), and its host removes the data and the row.
 * @throws CodedError(NotFound) when the volume is gone; CodedError(InvalidVolume) when it may not be deleted.
 */
export function requestVolumeDelete(em: EntityManager, volumeId: string): Promise<VolumeDeleteRequest> {
  return em.transaction(async (tx) => {
    const volume = await lockVolume(tx, volumeId);
    const plan = planVolumeDelete(volume);
    if (plan.kind === 'destroy-row') {
      await tx.getRepository(VolumeEntity).delete({ id: volumeId });
      if (volume.useQuota) await releaseVolumeQuota(tx, [volume]);
      return { destroyed: true };
    }
    await tx.query(`UPDATE volumes SET status = 'deleting', previous_status = status, updated_at = now() WHERE id = $1`, [volumeId]);
    return { destroyed: false, host: plan.host };
  });
}
