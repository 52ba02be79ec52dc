import { PoolEntity } from '@volume/persistence';
import { poolsView, reportedPool } from './pool.view-builder';

function row(overrides: Partial<PoolEntity> = {}): PoolEntity {
  return {
    name: 'host-a@file#pool1',
    serviceHost: 'host-a',
    availabilityZone: 'nova',
    totalCapacityGb: 100,
    freeCapacityGb: 80.5,
    capabilities: {
      reservedPercentage: 5,
      maxOverSubscriptionRatio: 20,
      thinProvisioningSupport: true,
      thickProvisioningSupport: false,
      storageProtocol: 'file',
      driverVersion: '1.0.0',
      volumeBackendName: 'file',
      reportedAt: '2026-11-25T09:59:59.000Z',
    },
    updatedAt: new Date('2026-11-25T10:00:00.123Z'),
    ...overrides,
  };
}

describe('get_pools view', () => {
  it('when detail is not asked, then each pool shows its name only', () => {
    expect(poolsView([reportedPool(row(), 12)], false)).toEqual({ pools: [{ name: 'host-a@file#pool1' }] });
  });

  it('when detail is asked, then each pool shows the capabilities Cinder shows, allocated capacity from its volumes', () => {
    expect(poolsView([reportedPool(row(), 12)], true)).toEqual({
      pools: [
        {
          name: 'host-a@file#pool1',
          capabilities: {
            pool_name: 'pool1',
            total_capacity_gb: 100,
            free_capacity_gb: 80.5,
            allocated_capacity_gb: 12,
            provisioned_capacity_gb: 12,
            reserved_percentage: 5,
            max_over_subscription_ratio: 20,
            thin_provisioning_support: true,
            thick_provisioning_support: false,
            volume_backend_name: 'file',
            storage_protocol: 'file',
            driver_version: '1.0.0',
            vendor_name: 'Open Source',
            timestamp: '2026-11-25T10:00:00.123000',
          },
        },
      ],
    });
  });

  it('when the worker left ratios and reservations out, then Cinder defaults apply', () => {
    const [pool] = poolsView([reportedPool(row({ capabilities: {} }), 0)], true).pools;
    expect(pool.capabilities).toMatchObject({
      reserved_percentage: 0,
      max_over_subscription_ratio: 20,
      thin_provisioning_support: false,
      thick_provisioning_support: false,
    });
  });
});
