import { EntityManager, In } from 'typeorm';
import { checkVolumeUpdatable, CodedError, planVolumeDelete, QuotaLimits, VolumeStatus } from '@volume/domain';
import { VolumeMetadataEntity } from '../entities/volume-metadata.entity';
import { VolumeEntity } from '../entities/volume.entity';
import { lockVolume } from './locked-volume';
import { CountedVolume, releaseVolumeQuota, reserveVolumeQuotas } from './quota-usage';

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
export async function createVolumeRecord(em: EntityManager, v: NewVolume, quotaDefaults: QuotaLimits): Promise<VolumeEntity> {
  const [outcome] = await createVolumeRecords(em, [v], quotaDefaults);
  if (outcome instanceof CodedError) throw outcome;
  return outcome;
}

/**
 * createVolumeRecord for several volumes, in one transaction of a few statements whatever their
 * number (reserveVolumeQuotas decides them in turn; the rows and the metadata of those it accepts
 * are one INSERT each): under a burst the project's usage is locked once a batch.
 * @returns per volume, in order: the row as written (with its metadata; attachments none, type not
 *   loaded), or the CodedError(OverLimit) that refused it, which wrote nothing of it.
 */
export function createVolumeRecords(em: EntityManager, volumes: readonly NewVolume[], quotaDefaults: QuotaLimits): Promise<(VolumeEntity | CodedError)[]> {
  return em.transaction(async (tx) => {
    const refusals = await reserveVolumeQuotas(tx, volumes, quotaDefaults);
    const created = volumes.map((v, i) => (refusals[i] ? null : newVolumeRow(v)));
    await insertNewVolumes(tx, created.filter((v): v is VolumeEntity => v !== null));
    return created.map((v, i) => v ?? (refusals[i] as CodedError));
  });
}

/**
 * The rows and their metadata, a statement each whatever their number (TypeORM's multi-row INSERT
 * cost more CPU to build than the rest of a create); the metadata get the ids the database gives.
 */
async function insertNewVolumes(tx: EntityManager, rows: readonly VolumeEntity[]): Promise<void> {
  if (rows.length === 0) return;
  const column = <K extends keyof VolumeEntity>(key: K) => rows.map((r) => r[key]);
  await tx.query(
    `INSERT INTO volumes (id, project_id, user_id, display_name, display_description, size, status, attach_status,
                          availability_zone, volume_type_id, bootable, multiattach, shared_targets, use_quota, created_at)
     SELECT * FROM unnest($1::uuid[], $2::varchar[], $3::varchar[], $4::varchar[], $5::varchar[], $6::int[], $7::varchar[], $8::varchar[],
                          $9::varchar[], $10::uuid[], $11::bool[], $12::bool[], $13::bool[], $14::bool[], $15::timestamptz[])`,
    [
      column('id'),
      column('projectId'),
      column('userId'),
      column('displayName'),
      column('displayDescription'),
      column('size'),
      column('status'),
      column('attachStatus'),
      column('availabilityZone'),
      column('volumeTypeId'),
      column('bootable'),
      column('multiattach'),
      column('sharedTargets'),
      column('useQuota'),
      column('createdAt'),
    ],
  );
  const metadata = rows.flatMap((r) => r.metadata ?? []);
  if (metadata.length === 0) return;
  const ids: { id: number; volume_id: string; key: string }[] = await tx.query(
    `INSERT INTO volume_metadata (volume_id, key, value) SELECT * FROM unnest($1::uuid[], $2::varchar[], $3::varchar[]) RETURNING id, volume_id, key`,
    [metadata.map((m) => m.volumeId), metadata.map((m) => m.key), metadata.map((m) => m.value)],
  );
  const idOf = new Map(ids.map((r) => [`${r.volume_id}/${r.key}`, r.id]));
  for (const m of metadata) m.id = idOf.get(`${m.volumeId}/${m.key}`) as number;
}

/**
 * Every column of a new volume, as the database then holds it (insertNewVolumes writes those that
 * are not null): the answer to the create is built from it without reading the row back
 * (volume-lifecycle.int.spec.ts compares the two).
 */
function newVolumeRow(v: NewVolume): VolumeEntity {
  const row = new VolumeEntity();
  Object.assign(row, {
    id: v.id,
    projectId: v.projectId,
    userId: v.userId,
    displayName: v.displayName,
    displayDescription: v.displayDescription,
    size: v.size,
    status: CREATING,
    previousStatus: null,
    attachStatus: 'detached',
    migrationStatus: null,
    nameId: null,
    host: null,
    clusterName: null,
    availabilityZone: v.availabilityZone,
    volumeTypeId: v.volumeTypeId,
    providerId: null,
    providerLocation: null,
    bootable: false,
    multiattach: false,
    replicationStatus: null,
    consistencygroupId: null,
    groupId: null,
    snapshotId: null,
    sourceVolid: null,
    encryptionKeyId: null,
    serviceUuid: null,
    // Cinder's column default; the worker sets what its backend really does.
    sharedTargets: true,
    useQuota: true,
    migrationProgress: null,
    createdAt: new Date(),
    updatedAt: null,
  } satisfies Omit<VolumeEntity, 'volumeType' | 'metadata' | 'attachments'>);
  row.metadata = Object.entries(v.metadata).map(([key, value]) => Object.assign(new VolumeMetadataEntity(), { volumeId: v.id, key, value }));
  row.attachments = [];
  return row;
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
