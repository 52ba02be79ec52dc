import { EntityManager } from 'typeorm';
import {
  checkVolumeQuota,
  COUNTED_RESOURCES,
  CountedResource,
  effectiveQuotaLimits,
  NO_USAGE,
  QuotaLimits,
  QuotaUsage,
  volumeQuotaDelta,
} from '@volume/domain';

// The usage side of quotas, for the volume transitions: each write runs in the transaction of the
// volume row it accounts for, so that a usage and its volumes never disagree after a commit. Internal
// to the transitions: the barrel does not export it.

/** A volume that counted for its project and is gone (or no longer counts): its share goes back. */
export interface CountedVolume {
  projectId: string;
  size: number;
}

/**
 * The project's usage rows, locked until the caller's transaction ends, always in COUNTED_RESOURCES
 * order (creates and give-backs of one project then queue instead of deadlocking).
 */
async function lockUsage(tx: EntityManager, projectId: string): Promise<QuotaUsage | null> {
  const rows: { resource: CountedResource; in_use: string }[] = await tx.query(
    `SELECT resource, in_use FROM quota_usages WHERE project_id = $1 AND resource = ANY($2) ORDER BY resource FOR UPDATE`,
    [projectId, COUNTED_RESOURCES],
  );
  if (rows.length < COUNTED_RESOURCES.length) return null;
  const usage = { ...NO_USAGE };
  for (const row of rows) usage[row.resource] = Number(row.in_use);
  return usage;
}

/** lockUsage, making the rows (at zero) for a project that has none yet. */
async function lockOrStartUsage(tx: EntityManager, projectId: string): Promise<QuotaUsage> {
  const usage = await lockUsage(tx, projectId);
  if (usage) return usage;
  // A concurrent first create inserts the same rows: ON CONFLICT waits for it, then leaves its rows.
  await tx.query(
    `INSERT INTO quota_usages (project_id, resource, in_use, created_at)
     SELECT $1, resource, 0, now() FROM unnest($2::varchar[]) AS resource
     ON CONFLICT (project_id, resource) DO NOTHING`,
    [projectId, COUNTED_RESOURCES],
  );
  return (await lockUsage(tx, projectId)) ?? NO_USAGE;
}

async function addUsage(tx: EntityManager, projectId: string, delta: QuotaUsage, sign: 1 | -1): Promise<void> {
  await tx.query(
    `UPDATE quota_usages SET in_use = in_use + CASE resource WHEN 'gigabytes' THEN $2::bigint ELSE $3::bigint END, updated_at = now()
      WHERE project_id = $1 AND resource = ANY($4)`,
    [projectId, sign * delta.gigabytes, sign * delta.volumes, COUNTED_RESOURCES],
  );
}

/** The limits the project set for itself, by resource. */
export async function ownQuotaLimits(em: EntityManager, projectId: string): Promise<Record<string, number>> {
  const rows: { resource: string; hard_limit: number }[] = await em.query(`SELECT resource, hard_limit FROM quotas WHERE project_id = $1`, [
    projectId,
  ]);
  return Object.fromEntries(rows.map((r) => [r.resource, r.hard_limit]));
}

/**
 * Takes a new volume's share of its project's quota, in the transaction that inserts the volume:
 * one statement locks the usage and adds the share (making the rows on the project's first
 * volume), then the limits are read, so that a concurrent update of them is seen whole, and
 * checked against the usage before the share. Every create of the project waits for that lock
 * until the caller commits: kept to this statement, a read and the commit (locked, then read, then
 * added, it had queued a burst of creates one round trip after another).
 * @throws CodedError(OverLimit) from checkVolumeQuota: the caller's transaction then rolls the share back.
 */
export async function reserveVolumeQuota(tx: EntityManager, volume: CountedVolume, defaults: QuotaLimits): Promise<void> {
  const delta = volumeQuotaDelta(volume.size);
  // TypeORM answers an INSERT ... RETURNING with the rows. The resources in one order, as lockUsage's.
  const rows: { resource: CountedResource; in_use: string }[] = await tx.query(
    `INSERT INTO quota_usages (project_id, resource, in_use, created_at)
     SELECT $1, resource, CASE resource WHEN 'gigabytes' THEN $2::bigint ELSE $3::bigint END, now()
       FROM unnest($4::varchar[]) AS resource ORDER BY resource
     ON CONFLICT (project_id, resource) DO UPDATE SET in_use = quota_usages.in_use + EXCLUDED.in_use, updated_at = now()
     RETURNING resource, in_use`,
    [volume.projectId, delta.gigabytes, delta.volumes, COUNTED_RESOURCES],
  );
  const before = { ...NO_USAGE };
  for (const row of rows) before[row.resource] = Number(row.in_use) - delta[row.resource];
  checkVolumeQuota(effectiveQuotaLimits(defaults, await ownQuotaLimits(tx, volume.projectId)), before, volume.size);
}

/** Gives back the share of volumes that no longer count, in the transaction that removed them. */
export async function releaseVolumeQuota(tx: EntityManager, volumes: readonly CountedVolume[]): Promise<void> {
  const byProject = new Map<string, QuotaUsage>();
  for (const v of volumes) {
    const sum = byProject.get(v.projectId) ?? NO_USAGE;
    const delta = volumeQuotaDelta(v.size);
    byProject.set(v.projectId, { gigabytes: sum.gigabytes + delta.gigabytes, volumes: sum.volumes + delta.volumes });
  }
  // Projects in one order too, for the bulk give-back of stale creates.
  for (const projectId of [...byProject.keys()].sort()) {
    // A project without usage rows never counted anything these transitions recorded.
    if (!(await lockUsage(tx, projectId))) continue;
    await addUsage(tx, projectId, byProject.get(projectId) as QuotaUsage, -1);
  }
}

/** Locks the project's usage (as a create does) and returns it, for a change of its limits. */
export function lockProjectUsage(tx: EntityManager, projectId: string): Promise<QuotaUsage> {
  return lockOrStartUsage(tx, projectId);
}
