import { backendPassesFilters, place } from './place';
import type { PlacementRequest } from './pool-stats';
import { pool } from '../../test/pool-factory';

const pools = [
  pool({ host: 'host-a@file#pool1', freeCapacityGb: 20 }),
  pool({ host: 'host-a@file#pool2', freeCapacityGb: 80 }),
  pool({ host: 'host-b@file#pool1', freeCapacityGb: 5 }),
  pool({ host: 'host-c@lvm#vg', freeCapacityGb: 90, availabilityZone: 'az2', volumeBackendName: 'lvm' }),
];
const request: PlacementRequest = { sizeGb: 10, availabilityZone: 'nova', extraSpecs: { volume_backend_name: 'file' } };

describe('place', () => {
  it('orders the pools that pass every filter, emptiest first by default', () => {
    const { candidates } = place(request, pools);
    expect(candidates.map(({ pool: p }) => p.host)).toEqual(['host-a@file#pool2', 'host-a@file#pool1']);
    expect(candidates[0].weight).toBe(1);
  });

  it('says which filter dropped each other pool and why', () => {
    expect(place(request, pools).rejections).toEqual([
      { pool: 'host-b@file#pool1', filter: 'CapacityFilter', reason: 'requested 10 GB, thick virtual free 5 GB' },
      { pool: 'host-c@lvm#vg', filter: 'AvailabilityZoneFilter', reason: 'availability zone az2 is not nova' },
    ]);
  });

  it('stacks with a negative multiplier', () => {
    const { candidates } = place(request, pools, { capacityWeightMultiplier: -1 });
    expect(candidates[0].pool.host).toBe('host-a@file#pool1');
  });

  it('keeps the input order between equally weighted pools', () => {
    const twins = [pool({ host: 'x@b#1' }), pool({ host: 'y@b#1' })];
    expect(place({ sizeGb: 1, extraSpecs: {} }, twins).candidates.map(({ pool: p }) => p.host)).toEqual(['x@b#1', 'y@b#1']);
  });

  it('runs only the filters it is given', () => {
    expect(place(request, pools, { filters: [] }).candidates).toHaveLength(4);
  });
});

describe('backendPassesFilters', () => {
  const migration: PlacementRequest = { sizeGb: 10, extraSpecs: {}, volumeId: 'vol-1' };

  it('accepts a named pool that passes', () => {
    const check = backendPassesFilters(migration, pools, 'host-a@file#pool1');
    expect(check.passed && check.candidate.pool.host).toBe('host-a@file#pool1');
  });

  it('matches a backend without pool to its best pool', () => {
    const check = backendPassesFilters(migration, pools, 'host-a@file');
    expect(check.passed && check.candidate.pool.host).toBe('host-a@file#pool2');
  });

  it('refuses a pool that fails a filter, with Cinder\'s NoValidBackend text', () => {
    const check = backendPassesFilters(migration, pools, 'host-b@file#pool1');
    expect(check).toEqual({
      passed: false,
      reason: 'No valid backend was found. Cannot place volume vol-1 on host-b@file#pool1.',
      rejections: [{ pool: 'host-b@file#pool1', filter: 'CapacityFilter', reason: 'requested 10 GB, thick virtual free 5 GB' }],
    });
  });

  it('does not match a pool to a different backend of the same host', () => {
    expect(backendPassesFilters(migration, pools, 'host-a@lvm').passed).toBe(false);
  });

  it('says the id is missing when the request carries none, as Cinder does', () => {
    const check = backendPassesFilters({ sizeGb: 1, extraSpecs: {} }, pools, 'nohost@nobackend#nopool');
    expect(!check.passed && check.reason).toBe('No valid backend was found. Cannot place volume ??id missing?? on nohost@nobackend#nopool.');
  });
});
