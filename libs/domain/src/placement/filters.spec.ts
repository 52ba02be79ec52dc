import { AvailabilityZoneFilter, CapabilitiesFilter, CapacityFilter, poolCapabilities } from './filters';
import type { PlacementRequest } from './pool-stats';
import { pool } from '../../test/pool-factory';

const request = (overrides: Partial<PlacementRequest> = {}): PlacementRequest => ({ sizeGb: 10, extraSpecs: {}, ...overrides });

describe('AvailabilityZoneFilter', () => {
  it('passes every pool when the request names no zone (as for os-migrate_volume)', () => {
    expect(AvailabilityZoneFilter.check(pool(), request())).toEqual({ passed: true });
  });

  it('keeps pools of the requested zone', () => {
    expect(AvailabilityZoneFilter.check(pool(), request({ availabilityZone: 'nova' })).passed).toBe(true);
    expect(AvailabilityZoneFilter.check(pool(), request({ availabilityZone: 'az2' }))).toEqual({
      passed: false,
      reason: 'availability zone nova is not az2',
    });
  });

  it('lets the volume type\'s zones win over the requested zone', () => {
    expect(AvailabilityZoneFilter.check(pool(), request({ availabilityZone: 'az2', availabilityZones: ['az1', 'nova'] })).passed).toBe(true);
    expect(AvailabilityZoneFilter.check(pool(), request({ availabilityZones: ['az1'] })).passed).toBe(false);
  });
});

describe('CapacityFilter', () => {
  it('passes a thick request that fits the free space and refuses one that does not', () => {
    expect(CapacityFilter.check(pool({ freeCapacityGb: 10 }), request({ sizeGb: 10 })).passed).toBe(true);
    expect(CapacityFilter.check(pool({ freeCapacityGb: 9 }), request({ sizeGb: 10 }))).toEqual({
      passed: false,
      reason: 'requested 10 GB, thick virtual free 9 GB',
    });
  });

  it('keeps the reserved percentage out of reach', () => {
    expect(CapacityFilter.check(pool({ reservedPercentage: 95 }), request({ sizeGb: 10 })).passed).toBe(false);
    expect(CapacityFilter.check(pool({ reservedPercentage: 90 }), request({ sizeGb: 10 })).passed).toBe(true);
  });

  it('passes the pool the volume already lives on, and size 0 (manage)', () => {
    const full = pool({ freeCapacityGb: 0 });
    expect(CapacityFilter.check(full, request({ existsOn: 'host-a@file#pool1' })).passed).toBe(true);
    expect(CapacityFilter.check(full, request({ sizeGb: 0 })).passed).toBe(true);
  });

  it('refuses a pool that does not report free capacity', () => {
    expect(CapacityFilter.check(pool({ freeCapacityGb: null }), request())).toEqual({
      passed: false,
      reason: 'free capacity is not reported',
    });
  });

  it('trusts infinite or unknown free capacity', () => {
    expect(CapacityFilter.check(pool({ freeCapacityGb: 'infinite' }), request()).passed).toBe(true);
    expect(CapacityFilter.check(pool({ freeCapacityGb: 'unknown', totalCapacityGb: 'unknown' }), request()).passed).toBe(true);
  });

  it('trusts an unmeasurable total only when nothing is reserved', () => {
    expect(CapacityFilter.check(pool({ totalCapacityGb: 'infinite' }), request()).passed).toBe(true);
    expect(CapacityFilter.check(pool({ totalCapacityGb: 'unknown', reservedPercentage: 5 }), request()).passed).toBe(false);
  });

  it('refuses a pool with no total capacity', () => {
    expect(CapacityFilter.check(pool({ totalCapacityGb: 0 }), request()).passed).toBe(false);
  });

  describe('thin provisioning', () => {
    const thinPool = pool({ thinProvisioningSupport: true, maxOverSubscriptionRatio: 2, freeCapacityGb: 10, provisionedCapacityGb: 150 });

    it('over-subscribes the total up to the ratio, whatever the reported free space', () => {
      // virtual free = 100 * 2 - 150 = 50
      expect(CapacityFilter.check(thinPool, request({ sizeGb: 50 })).passed).toBe(true);
      expect(CapacityFilter.check(thinPool, request({ sizeGb: 51 })).passed).toBe(false);
    });

    it('uses only the reported free space when the type asks for thick', () => {
      expect(CapacityFilter.check(thinPool, request({ sizeGb: 11, extraSpecs: { 'provisioning:type': 'thick' } })).passed).toBe(false);
    });

    it('refuses a pool whose over-subscription ratio is below 1', () => {
      expect(CapacityFilter.check(pool({ thinProvisioningSupport: true, maxOverSubscriptionRatio: 0.5 }), request())).toEqual({
        passed: false,
        reason: 'max over subscription ratio 0.5 is below 1',
      });
    });
  });
});

describe('CapabilitiesFilter', () => {
  it('matches volume_backend_name exactly, scoped or not', () => {
    expect(CapabilitiesFilter.check(pool(), request({ extraSpecs: { volume_backend_name: 'file' } })).passed).toBe(true);
    expect(CapabilitiesFilter.check(pool(), request({ extraSpecs: { 'capabilities:volume_backend_name': 'file' } })).passed).toBe(true);
    expect(CapabilitiesFilter.check(pool(), request({ extraSpecs: { volume_backend_name: 'lvm' } }))).toEqual({
      passed: false,
      reason: `extra spec volume_backend_name='lvm' does not match reported "file"`,
    });
  });

  it('ignores other scopes such as provisioning: and RESKEY:', () => {
    const extraSpecs = { 'provisioning:type': 'thick', 'RESKEY:availability_zones': 'az9' };
    expect(CapabilitiesFilter.check(pool(), request({ extraSpecs })).passed).toBe(true);
  });

  it('applies operators to reported capabilities', () => {
    const thin = pool({ thinProvisioningSupport: true });
    expect(CapabilitiesFilter.check(thin, request({ extraSpecs: { thin_provisioning_support: '<is> True' } })).passed).toBe(true);
    expect(CapabilitiesFilter.check(pool(), request({ extraSpecs: { thin_provisioning_support: '<is> True' } })).passed).toBe(false);
    expect(CapabilitiesFilter.check(pool(), request({ extraSpecs: { free_capacity_gb: '>= 50' } })).passed).toBe(true);
  });

  it('refuses a capability the pool does not report', () => {
    expect(CapabilitiesFilter.check(pool(), request({ extraSpecs: { multiattach: '<is> True' } }))).toEqual({
      passed: false,
      reason: "capability 'multiattach' is not reported",
    });
  });

  it('reads further driver capabilities, nested scopes and lists', () => {
    const rich = pool({ capabilities: { multiattach: true, QoS: { iops: 1000 }, storage_protocols: ['iSCSI', 'FC'] } });
    expect(CapabilitiesFilter.check(rich, request({ extraSpecs: { multiattach: '<is> True' } })).passed).toBe(true);
    expect(CapabilitiesFilter.check(rich, request({ extraSpecs: { 'capabilities:QoS:iops': '>= 500' } })).passed).toBe(true);
    expect(CapabilitiesFilter.check(rich, request({ extraSpecs: { storage_protocols: 'FC' } })).passed).toBe(true);
    expect(CapabilitiesFilter.check(rich, request({ extraSpecs: { storage_protocols: 'NFS' } })).passed).toBe(false);
  });
});

describe('poolCapabilities', () => {
  it('exposes the pool stats under Cinder\'s capability names, over any reported extras', () => {
    expect(poolCapabilities(pool({ capabilities: { volume_backend_name: 'stale', vendor_name: 'acme' } }))).toMatchObject({
      pool_name: 'pool1',
      volume_backend_name: 'file',
      vendor_name: 'acme',
      thick_provisioning_support: true,
    });
  });
});
