import { place, PlacementOptions, PlacementResult } from './place';
import type { PlacementRequest, PoolStats } from './pool-stats';

/**
 * Places several requests over one view of the pools, in the order given, each seeing the capacity
 * the ones before it took: what placing them one at a time, each in a transaction of its own, would
 * decide, so that a scheduler can decide a batch of creates in one transaction. A placed volume
 * counts as this scheduler counts it (allocated and provisioned are summed from the volumes on the
 * pool); the free space a pool reported stays as reported until its next report.
 * @returns one result per request, in the requests' order.
 */
export function placeInTurn(requests: readonly PlacementRequest[], pools: readonly PoolStats[], options: PlacementOptions = {}): PlacementResult[] {
  // A Map keeps each pool at its first place when its entry is replaced: ties still go to the input order.
  const current = new Map(pools.map((p) => [p.host, p]));
  return requests.map((request) => {
    const result = place(request, [...current.values()], options);
    const best = result.candidates[0]?.pool;
    if (best) {
      current.set(best.host, {
        ...best,
        allocatedCapacityGb: best.allocatedCapacityGb + request.sizeGb,
        provisionedCapacityGb: best.provisionedCapacityGb + request.sizeGb,
      });
    }
    return result;
  });
}
