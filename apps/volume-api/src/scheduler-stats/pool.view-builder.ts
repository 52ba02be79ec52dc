import { CapabilityValue, poolCapabilities, PoolStats, poolStatsOf } from '@volume/domain';
import { PoolEntity } from '@volume/persistence';
import { formatTimestamp } from '../http/links';

/**
 * The file backend reports no vendor; like Cinder's LVM driver, the reference open-source backend,
 * it is shown as "Open Source".
 */
export const VENDOR_NAME = 'Open Source';

/** A pool as the scheduler sees it, and when its worker last reported it. */
export interface ReportedPool {
  stats: PoolStats;
  reportedAt: Date;
}

/**
 * A `pools` row in the scheduler's terms. Allocated capacity is what the volumes placed on the pool
 * add up to; for sparse files that is also what is provisioned (Cinder's default when a driver
 * does not report provisioned capacity).
 */
export function reportedPool(row: PoolEntity, allocatedGb: number): ReportedPool {
  return {
    stats: poolStatsOf(row, allocatedGb),
    reportedAt: row.updatedAt,
  };
}

/**
 * The capability dictionary Cinder's scheduler keeps per pool (what the driver reported, plus the
 * backend's vendor and the report time); get_pools shows it and volume-type filters match it.
 */
export function poolCapabilitiesView(pool: ReportedPool): Record<string, CapabilityValue> {
  return { ...poolCapabilities(pool.stats), vendor_name: VENDOR_NAME, timestamp: formatTimestamp(pool.reportedAt) };
}

/** Cinder's scheduler-stats view: names only, or names with capabilities when `detail` is asked. */
export function poolsView(pools: readonly ReportedPool[], detail: boolean): { pools: Record<string, unknown>[] } {
  return {
    pools: pools.map((p) => (detail ? { name: p.stats.host, capabilities: poolCapabilitiesView(p) } : { name: p.stats.host })),
  };
}
