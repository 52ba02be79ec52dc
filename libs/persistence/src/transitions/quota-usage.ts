import { EntityManager } from 'typeorm';
import { CodedError } from '@volume/contracts';
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
 * Takes the shares of new volumes of their projects' quotas, in the transaction that inserts them,
 * decided in turn as one at a time would (a volume the limits refuse takes nothing; the next is
 * judged on the usage before it, shares taken included). One statement locks the
 * usage of every project of the batch (making the rows of a project's first volume), projects in
 * one order and resources in COUNTED_RESOURCES order, as lockUsage and releaseVolumeQuota; the
 * limits are read after it, so that a concurrent update of them is seen whole; one statement adds
 * the shares taken. Every create of those projects waits for the lock until the caller commits.
 * @returns per volume null (its share is taken) or the CodedError(OverLimit) checkVolumeQuota threw.
 */
export async function reserveVolumeQuotas(tx: EntityManager, volumes: readonly CountedVolume[], defaults: QuotaLimits): Promise<(CodedError | null)[]> {
  const projects = [...new Set(volumes.map((v) => v.projectId))].sort();
  // A conflict updates the row to itself: that locks it, and RETURNING gives the usage as committed before.
  const rows: { project_id: string; resource: CountedResource; in_use: string }[] = await tx.query(
    `INSERT INTO quota_usages (project_id, resource, in_use, created_at)
     SELECT p, r, 0, now() FROM unnest($1::varchar[]) AS p, unnest($2::varchar[]) AS r ORDER BY p COLLATE "C", r COLLATE "C"
     ON CONFLICT (project_id, resource) DO UPDATE SET in_use = quota_usages.in_use
     RETURNING project_id, resource, in_use`,
    [projects, COUNTED_RESOURCES],
  );
  const usage = new Map<string, { gigabytes: number; volumes: number }>(projects.map((p) => [p, { ...NO_USAGE }]));
  for (const row of rows) (usage.get(row.project_id) as Record<CountedResource, number>)[row.resource] = Number(row.in_use);
  const own = await ownQuotaLimitsOf(tx, projects);
  const taken = new Map<string, QuotaUsage>();
  const outcomes = volumes.map((v) => {
    const before = usage.get(v.projectId) as { gigabytes: number; volumes: number };
    try {
      checkVolumeQuota(effectiveQuotaLimits(defaults, own.get(v.projectId) ?? {}), before, v.size);
    } catch (err) {
      if (err instanceof CodedError) return err;
      throw err;
    }
    const delta = volumeQuotaDelta(v.size);
    before.gigabytes += delta.gigabytes;
    before.volumes += delta.volumes;
    const sum = taken.get(v.projectId) ?? NO_USAGE;
    taken.set(v.projectId, { gigabytes: sum.gigabytes + delta.gigabytes, volumes: sum.volumes + delta.volumes });
    return null;
  });
  if (taken.size > 0) {
    const adds = [...taken].flatMap(([projectId, d]) => COUNTED_RESOURCES.map((resource) => ({ projectId, resource, delta: d[resource] })));
    await tx.query(
      `UPDATE quota_usages q SET in_use = q.in_use + d.delta, updated_at = now()
         FROM unnest($1::varchar[], $2::varchar[], $3::bigint[]) AS d(project_id, resource, delta)
        WHERE q.project_id = d.project_id AND q.resource = d.resource`,
      [adds.map((a) => a.projectId), adds.map((a) => a.resource), adds.map((a) => a.delta)],
    );
  }
  return outcomes;
}

/** ownQuotaLimits of several projects, by project. */
async function ownQuotaLimitsOf(em: EntityManager, projectIds: readonly string[]): Promise<Map<string, Record<string, number>>> {
  const rows: { project_id: string; resource: string; hard_limit: number }[] = await em.query(
    `SELECT project_id, resource, hard_limit FROM quotas WHERE project_id = ANY($1)`,
    [projectIds],
  );
  const out = new Map<string, Record<string, number>>();
  for (const r of rows) {
    const own = out.get(r.project_id) ?? {};
    own[r.resource] = r.hard_limit;
    out.set(r.project_id, own);
  }
  return out;
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
