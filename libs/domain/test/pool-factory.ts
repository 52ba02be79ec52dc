import type { PoolStats } from '../src/placement/pool-stats';

/** A thick 100 GB pool with nothing on it, to be varied per test. */
export function pool(overrides: Partial<PoolStats> = {}): PoolStats {
  return {
    host: 'host-a@file#pool1',
    availabilityZone: 'nova',
    totalCapacityGb: 100,
    freeCapacityGb: 100,
    provisionedCapacityGb: 0,
    allocatedCapacityGb: 0,
    reservedPercentage: 0,
    maxOverSubscriptionRatio: 1,
    thinProvisioningSupport: false,
    thickProvisioningSupport: true,
    volumeBackendName: 'file',
    storageProtocol: 'file',
    driverVersion: '1.0',
    ...overrides,
  };
}
