import { QUOTA_RESOURCES, type QuotaLimits, type QuotaResource, type QuotaUsage } from '@volume/domain';

/** One resource of `?usage=true`: Cinder's keys; nothing is ever reserved or allocated here. */
export interface QuotaUsageView {
  limit: number;
  in_use: number;
  reserved: number;
  allocated: number;
}

/** Each resource's limit, in Cinder's order (show, defaults, and the answer to an update). */
export function quotaLimitsView(limits: QuotaLimits): Record<QuotaResource, number> {
  return Object.fromEntries(QUOTA_RESOURCES.map((r) => [r, limits[r]])) as Record<QuotaResource, number>;
}

/** Each resource's limit and use; only volumes and gigabytes are counted, the rest have none. */
export function quotaUsageView(limits: QuotaLimits, usage: QuotaUsage): Record<QuotaResource, QuotaUsageView> {
  const inUse = (r: QuotaResource): number => (r === 'volumes' || r === 'gigabytes' ? usage[r] : 0);
  return Object.fromEntries(
    QUOTA_RESOURCES.map((r) => [r, { limit: limits[r], in_use: inUse(r), reserved: 0, allocated: 0 }]),
  ) as Record<QuotaResource, QuotaUsageView>;
}
