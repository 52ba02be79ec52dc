import pino from 'pino';
import { DataSource } from 'typeorm';
import { PoolReport, PoolStatsEvent } from '@volume/contracts';
import { createDataSource } from '@volume/persistence';
import { createTestDatabase, TestDatabase } from '@volume/testing';
import { PoolStatsStore } from './pool-stats.store';

const pool = (poolName: string, freeCapacityGb: number): PoolReport => ({
  poolName,
  totalCapacityGb: 100,
  freeCapacityGb,
  reservedPercentage: 0,
  maxOverSubscriptionRatio: 2,
  thinProvisioningSupport: true,
  thickProvisioningSupport: false,
  storageProtocol: 'local',
  driverVersion: '1.0',
});

const report = (host: string, pools: PoolReport[]): PoolStatsEvent => ({
  serviceHost: host,
  backend: `${host}@file`,
  volumeBackendName: 'file',
  availabilityZone: 'nova',
  pools,
  reportedAt: new Date().toISOString(),
});

describe('PoolStatsStore (real PostgreSQL)', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let store: PoolStatsStore;

  beforeAll(async () => {
    db = await createTestDatabase('pool_stats');
    ds = await createDataSource({ url: db.url, poolSize: 2 }).initialize();
    store = new PoolStatsStore(ds, pino({ level: 'silent' }));
  });

  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  const rows = () =>
    ds.query(`SELECT name, service_host, free_capacity_gb, capabilities->>'maxOverSubscriptionRatio' AS ratio, capabilities->>'volumeBackendName' AS backend FROM pools ORDER BY name`);

  it('when a worker reports its pools, then they are stored; a pool it stops reporting goes, another host’s pools stay', async () => {
    await store.save(report('host-a', [pool('pool1', 90), pool('pool2', 80)]));
    await store.save(report('host-b', [pool('pool1', 70)]));
    expect(await rows()).toEqual([
      { name: 'host-a@file#pool1', service_host: 'host-a', free_capacity_gb: 90, ratio: '2', backend: 'file' },
      { name: 'host-a@file#pool2', service_host: 'host-a', free_capacity_gb: 80, ratio: '2', backend: 'file' },
      { name: 'host-b@file#pool1', service_host: 'host-b', free_capacity_gb: 70, ratio: '2', backend: 'file' },
    ]);
    await store.save(report('host-a', [pool('pool2', 60)]));
    expect(await rows()).toEqual([
      { name: 'host-a@file#pool2', service_host: 'host-a', free_capacity_gb: 60, ratio: '2', backend: 'file' },
      { name: 'host-b@file#pool1', service_host: 'host-b', free_capacity_gb: 70, ratio: '2', backend: 'file' },
    ]);
  });
});
