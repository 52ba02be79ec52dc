import { CapacityWeigher } from './capacity-weigher';
import type { PlacementRequest } from './pool-stats';
import { pool } from '../../test/pool-factory';

const request: PlacementRequest = { sizeGb: 1, extraSpecs: {} };

describe('CapacityWeigher', () => {
  it('weighs a pool by its virtual free capacity', () => {
    expect(CapacityWeigher.rawWeight(pool({ freeCapacityGb: 40 }), request, 1)).toBe(40);
    const thin = pool({ thinProvisioningSupport: true, maxOverSubscriptionRatio: 20, provisionedCapacityGb: 50 });
    expect(CapacityWeigher.rawWeight(thin, request, 1)).toBe(1950);
  });

  it('puts pools of unknown capacity last when spreading', () => {
    expect(CapacityWeigher.rawWeight(pool({ freeCapacityGb: 'infinite' }), request, 1)).toBe(-1);
    expect(CapacityWeigher.rawWeight(pool({ totalCapacityGb: 'unknown' }), request, -1)).toBe(Infinity);
  });

  it('normalises to [0, 1] and multiplies, so the emptiest pool weighs 1 when spreading', () => {
    const pools = [pool({ freeCapacityGb: 10 }), pool({ freeCapacityGb: 60 }), pool({ freeCapacityGb: 'infinite' })];
    expect(CapacityWeigher.weigh(pools, request, 1)).toEqual([11 / 61, 1, 0]);
  });

  it('makes the fullest pool win when stacking, with unknown pools still last', () => {
    const pools = [pool({ freeCapacityGb: 10 }), pool({ freeCapacityGb: 60 }), pool({ freeCapacityGb: 'infinite' })];
    const weights = CapacityWeigher.weigh(pools, request, -1);
    expect(weights[0]).toBeCloseTo(0);
    expect(weights[1]).toBeCloseTo(-50 / 5050);
    expect(weights[2]).toBe(-1);
  });

  it('gives equal pools, and a lone pool, weight 0', () => {
    expect(CapacityWeigher.weigh([pool(), pool()], request, 1)).toEqual([0, 0]);
    expect(CapacityWeigher.weigh([pool()], request, 1)).toEqual([0]);
    expect(CapacityWeigher.weigh([], request, 1)).toEqual([]);
  });
});
