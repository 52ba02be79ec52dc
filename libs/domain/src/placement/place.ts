import { extractHost } from '../host';
import { CapacityWeigher, DEFAULT_CAPACITY_WEIGHT_MULTIPLIER } from './capacity-weigher';
import { DEFAULT_POOL_FILTERS } from './filters';
import type { PlacementRequest, PoolFilter, PoolStats, Rejection, WeighedPool } from './pool-stats';

// Cinder's FilterScheduler: filter the pools, weigh the survivors, best first.

export interface PlacementOptions {
  /** capacity_weight_multiplier; default 1.0 (spread). */
  capacityWeightMultiplier?: number;
  /** scheduler_default_filters; default AvailabilityZone, Capacity, Capabilities. */
  filters?: readonly PoolFilter[];
}

export interface PlacementResult {
  /** Pools that passed every filter, heaviest first; equal weights keep the input order. */
  candidates: WeighedPool[];
  /** One entry per dropped pool: the first filter that refused it and why. */
  rejections: Rejection[];
}

export type BackendCheck =
  | { passed: true; candidate: WeighedPool; rejections: Rejection[] }
  | { passed: false; reason: string; rejections: Rejection[] };

export function place(
  request: PlacementRequest,
  pools: readonly PoolStats[],
  options: PlacementOptions = {},
): PlacementResult {
  const filters = options.filters ?? DEFAULT_POOL_FILTERS;
  const survivors: PoolStats[] = [];
  const rejections: Rejection[] = [];
  for (const pool of pools) {
    const rejection = firstRejection(filters, pool, request);
    if (rejection === undefined) survivors.push(pool);
    else rejections.push(rejection);
  }
  const multiplier = options.capacityWeightMultiplier ?? DEFAULT_CAPACITY_WEIGHT_MULTIPLIER;
  const weights = CapacityWeigher.weigh(survivors, request, multiplier);
  const candidates = survivors
    .map((pool, index) => ({ pool, weight: weights[index] }))
    .sort((a, b) => b.weight - a.weight);
  return { candidates, rejections };
}

/**
 * Cinder's backend_passes_filters, used to vet a migration destination: `backend` names a pool
 * ('host@backend#pool') or, without '#', any pool of that backend, the best one winning.
 */
export function backendPassesFilters(
  request: PlacementRequest,
  pools: readonly PoolStats[],
  backend: string,
  options: PlacementOptions = {},
): BackendCheck {
  const { candidates, rejections } = place(request, pools, options);
  const ignorePool = !extractHost(backend, 'pool');
  const candidate = candidates.find(
    ({ pool }) => (ignorePool ? extractHost(pool.host, 'backend') : pool.host) === backend,
  );
  if (candidate !== undefined) return { passed: true, candidate, rejections };
  return {
    passed: false,
    reason: `No valid backend was found. Cannot place volume ${request.volumeId ?? '??id missing??'} on ${backend}.`,
    rejections,
  };
}

function firstRejection(filters: readonly PoolFilter[], pool: PoolStats, request: PlacementRequest): Rejection | undefined {
  for (const filter of filters) {
    const verdict = filter.check(pool, request);
    if (!verdict.passed) return { pool: pool.host, filter: filter.name, reason: verdict.reason };
  }
  return undefined;
}
