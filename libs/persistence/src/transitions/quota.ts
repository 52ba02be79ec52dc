import { EntityManager } from 'typeorm';
import { checkQuotaLimitCoversUsage, CountedResource, QuotaResource, QuotaUsage } from '@volume/domain';
import { lockProjectUsage, ownQuotaLimits } from './quota-usage';

// os-quota-sets' writes and reads of one project's limits. What the volumes use is written by the
// volume transitions themselves (quota-usage.ts), never here.

/** What a project has: the limits an admin set for it (by resource) and what it uses. */
export interface ProjectQuotas {
  own: Readonly<Record<string, number>>;
  usage: QuotaUsage;
}

export async function readProjectQuotas(em: EntityManager, projectId: string): Promise<ProjectQuotas> {
  const [own, rows] = await Promise.all([
    ownQuotaLimits(em, projectId),
    em.query(`SELECT resource, in_use FROM quota_usages WHERE project_id = $1`, [projectId]) as Promise<{ resource: string; in_use: string }[]>,
  ]);
  const inUse = (resource: CountedResource) => Number(rows.find((r) => r.resource === resource)?.in_use ?? 0);
  return { own, usage: { gigabytes: inUse('gigabytes'), volumes: inUse('volumes') } };
}

/** One key of an update: the limit, and the value as the body spelled it (Cinder's checks read that). */
export interface QuotaLimitChange {
  resource: QuotaResource;
  limit: number;
  requested: unknown;
}

/**
 * Cinder's os-quota-sets update: every change is checked against what the project uses (in the
 * body's order, the first failure wins and nothing is written), then all are stored. The project's
 * usage is locked meanwhile, so a create racing the update is counted before the check or sees the
 * new limits.
 * @throws CodedError(BadRequest) from checkQuotaLimitCoversUsage.
 */
export function setProjectQuotas(em: EntityManager, projectId: string, changes: readonly QuotaLimitChange[]): Promise<void> {
  return em.transaction(async (tx) => {
    const usage = await lockProjectUsage(tx, projectId);
    const own = await ownQuotaLimits(tx, projectId);
    for (const { resource, requested } of changes) {
      const inUse = resource === 'volumes' || resource === 'gigabytes' ? usage[resource] : 0;
      checkQuotaLimitCoversUsage(resource, requested, own[resource] === undefined ? undefined : { inUse });
    }
    for (const { resource, limit } of changes) {
      await tx.query(
        `INSERT INTO quotas (project_id, resource, hard_limit, created_at) VALUES ($1, $2, $3, now())
         ON CONFLICT (project_id, resource) DO UPDATE SET hard_limit = EXCLUDED.hard_limit, updated_at = now()`,
        [projectId, resource, limit],
      );
    }
  });
}

/** Cinder's quota_destroy_by_project: the project's own limits go (the defaults apply again); its usage stays. */
export async function destroyProjectQuotas(em: EntityManager, projectId: string): Promise<void> {
  await em.query(`DELETE FROM quotas WHERE project_id = $1`, [projectId]);
}
