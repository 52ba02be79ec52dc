import { placeInTurn } from './place-in-turn';
import type { PlacementRequest } from './pool-stats';
import { pool } from '../../test/pool-factory';

const oneGb: PlacementRequest = { sizeGb: 1, extraSpecs: {} };
const hostsOf = (results: ReturnType<typeof placeInTurn>) => results.map((r) => r.candidates[0]?.pool.host ?? null);

describe('placeInTurn', () => {
  it('when each request is placed, then the next sees the capacity it took: equal pools take turns', () => {
    const pools = [pool({ host: 'a@file#p' }), pool({ host: 'b@file#p' })];
    expect(hostsOf(placeInTurn([oneGb, oneGb, oneGb, oneGb], pools))).toEqual(['a@file#p', 'b@file#p', 'a@file#p', 'b@file#p']);
  });

  it('when more is asked than the pools hold, then each pool takes what it holds and the rest find no pool, with the reason', () => {
    const pools = [pool({ host: 'a@file#p', totalCapacityGb: 2, freeCapacityGb: 2 }), pool({ host: 'b@file#p', totalCapacityGb: 3, freeCapacityGb: 3 })];
    const results = placeInTurn(Array.from({ length: 7 }, () => oneGb), pools);
    const hosts = hostsOf(results);
    expect(hosts.filter((h) => h === 'a@file#p')).toHaveLength(2);
    expect(hosts.filter((h) => h === 'b@file#p')).toHaveLength(3);
    expect(hosts.slice(5)).toEqual([null, null]);
    expect(results[6].rejections.map((r) => r.filter)).toEqual(['CapacityFilter', 'CapacityFilter']);
  });

  it('when thin pools are over-subscribed, then the provisioned ratio bounds them as one create at a time would', () => {
    const thin = { totalCapacityGb: 5, freeCapacityGb: 5, maxOverSubscriptionRatio: 2, thinProvisioningSupport: true, thickProvisioningSupport: false };
    const pools = [pool({ host: 'a@file#p', ...thin, allocatedCapacityGb: 4, provisionedCapacityGb: 4 })];
    expect(hostsOf(placeInTurn(Array.from({ length: 8 }, () => oneGb), pools))).toEqual([...Array(6).fill('a@file#p'), null, null]);
  });

  it('when a request fits nowhere, then it takes nothing and the next one is placed as if it had not been asked', () => {
    const pools = [pool({ host: 'a@file#p', totalCapacityGb: 3, freeCapacityGb: 3 })];
    expect(hostsOf(placeInTurn([{ sizeGb: 5, extraSpecs: {} }, { sizeGb: 3, extraSpecs: {} }], pools))).toEqual([null, 'a@file#p']);
  });
});
