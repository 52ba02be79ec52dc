import { calculateCapacityFactors, wantsThin } from './capacity-factors';
import type { PlacementRequest, PoolStats } from './pool-stats';

// Cinder's CapacityWeigher (cinder/scheduler/weights/capacity.py) and the normalisation of its
// BaseWeightHandler: raw weights are scaled to [0, 1] over the candidates, then multiplied.

/** Cinder's capacity_weight_multiplier default: spread volumes; a negative value stacks them. */
export const DEFAULT_CAPACITY_WEIGHT_MULTIPLIER = 1.0;

// Offsets Cinder gives 'infinite' pools when the smallest weight wins (negative multiplier).
const OFFSET_MIN = 10000;
const OFFSET_MULT = 100;

/** The raw weight of one pool: its virtual free capacity in GB. */
function rawWeight(pool: PoolStats, request: PlacementRequest, multiplier: number): number {
  const free = pool.freeCapacityGb;
  const total = pool.totalCapacityGb;
  // Pools that cannot tell their capacity come last whichever way the multiplier points. A
  // missing free capacity never reaches here (CapacityFilter drops it) and is treated alike.
  if (typeof free !== 'number' || typeof total !== 'number') return multiplier > 0 ? -1 : Infinity;
  return calculateCapacityFactors({
    totalCapacityGb: total,
    freeCapacityGb: free,
    provisionedCapacityGb: pool.provisionedCapacityGb,
    thinProvisioningSupport: pool.thinProvisioningSupport,
    maxOverSubscriptionRatio: pool.maxOverSubscriptionRatio,
    reservedPercentage: pool.reservedPercentage,
    thin: wantsThin(request.extraSpecs),
  }).virtualFreeCapacity;
}

/** Each pool's contribution to its final weight: multiplier x normalised virtual free capacity. */
function weigh(pools: readonly PoolStats[], request: PlacementRequest, multiplier: number): number[] {
  if (pools.length === 0) return [];
  let weights = pools.map((pool) => rawWeight(pool, request, multiplier));
  const finite = weights.filter((weight) => Number.isFinite(weight));
  const minval = Math.min(...weights);
  let maxval = Math.max(...weights);
  if (maxval === Infinity && finite.length > 0) {
    maxval = Math.max(...finite);
    const offset = (maxval - minval) * OFFSET_MULT;
    maxval += offset === 0 ? OFFSET_MIN : offset;
    const replacement = maxval;
    weights = weights.map((weight) => (weight === Infinity ? replacement : weight));
  }
  if (minval === maxval) return weights.map(() => 0);
  const range = maxval - minval;
  return weights.map((weight) => multiplier * ((weight - minval) / range));
}

export const CapacityWeigher = { name: 'CapacityWeigher', rawWeight, weigh } as const;
