import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ErrorCode } from '@volume/contracts';
import { createDataSource, PoolEntity, VolumeEntity } from '@volume/persistence';
import { createTestDatabase, TestDatabase } from '@volume/testing';
import { loadApiConfig } from '../config';
import { Caller } from '@volume/auth';
import { VolumeTypesService } from '../types/volume-types.service';
import { poolsView } from './pool.view-builder';
import { PoolsService } from './pools.service';

// `GET /scheduler-stats/get_pools` against a freshly migrated PostgreSQL database: which reports
// count as recent is judged by the database clock, and allocated capacity is summed in SQL.

const config = loadApiConfig({ SERVICE_DOWN_TIME_S: '60' });
// get_pools is an admin's call.
const admin: Caller = { userId: 'admin', projectId: 'p-admin', roles: ['admin'], isAdmin: true, isService: false };

let db: TestDatabase;
let ds: DataSource;
let types: VolumeTypesService;
let pools: PoolsService;

function typeInput(name: string, extraSpecs: Record<string, string | null>) {
  return { name, description: null, isPublic: true, extraSpecs };
}

async function insertVolume(typeId: string, host: string, size: number): Promise<void> {
  await ds.getRepository(VolumeEntity).insert({
    id: randomUUID(),
    projectId: 'p1',
    userId: 'u1',
    size,
    status: 'available',
    availabilityZone: 'nova',
    volumeTypeId: typeId,
    host,
    createdAt: new Date(),
  });
}

beforeAll(async () => {
  db = await createTestDatabase('pools');
  ds = await createDataSource({ url: db.url, poolSize: 2 }).initialize();
  types = new VolumeTypesService(ds);
  pools = new PoolsService(ds, config, types);

  const fileType = (await types.create(typeInput('file-thin', { volume_backend_name: 'file', thin_provisioning_support: '<is> True' }))).id;
  const capabilities = {
    reservedPercentage: 0,
    maxOverSubscriptionRatio: 20,
    thinProvisioningSupport: true,
    thickProvisioningSupport: false,
    storageProtocol: 'file',
    driverVersion: '1.0.0',
    volumeBackendName: 'file',
  };
  const pool = (name: string, reportedAgo: string) => ({
    name,
    serviceHost: name.split('@')[0],
    availabilityZone: 'nova',
    totalCapacityGb: 100,
    freeCapacityGb: 90,
    capabilities,
    updatedAt: () => `now() - interval '${reportedAgo}'`,
  });
  await ds
    .getRepository(PoolEntity)
    .insert([pool('host-a@file#pool1', '5 seconds'), pool('host-a@file#pool2', '5 seconds'), pool('host-b@file#pool1', '3 minutes')]);
  await insertVolume(fileType, 'host-a@file#pool1', 10);
  await insertVolume(fileType, 'host-a@file#pool1', 5);
  await insertVolume(fileType, 'host-b@file#pool1', 7);
});

afterAll(async () => {
  await ds?.destroy();
  await db?.drop();
});

describe('pools', () => {
  it('when pools are listed, then only recently reported ones appear, with allocated capacity summed from their volumes', async () => {
    const listed = await pools.list(admin, { detail: true, capabilities: {} });
    expect(listed.map((p) => p.stats.host)).toEqual(['host-a@file#pool1', 'host-a@file#pool2']);
    const [pool1, pool2] = poolsView(listed, true).pools;
    expect(pool1.capabilities).toMatchObject({ pool_name: 'pool1', allocated_capacity_gb: 15, provisioned_capacity_gb: 15, free_capacity_gb: 90 });
    expect(pool2.capabilities).toMatchObject({ allocated_capacity_gb: 0 });
  });

  it('when filtered by name or capability, then only matching pools remain', async () => {
    expect((await pools.list(admin, { detail: false, name: 'host-a@file#pool2', capabilities: {} })).map((p) => p.stats.host)).toEqual([
      'host-a@file#pool2',
    ]);
    expect(await pools.list(admin, { detail: false, capabilities: { storage_protocol: 'iSCSI' } })).toEqual([]);
  });

  it('when filtered by volume type, then pools must satisfy its extra specs', async () => {
    expect(await pools.list(admin, { detail: false, volumeType: 'file-thin', capabilities: {} })).toHaveLength(2);
    await types.create(typeInput('thick-only', { thick_provisioning_support: '<is> True' }));
    expect(await pools.list(admin, { detail: false, volumeType: 'thick-only', capabilities: {} })).toEqual([]);
    await expect(pools.list(admin, { detail: false, volumeType: 'nope', capabilities: {} })).rejects.toMatchObject({
      name: 'CodedError',
      code: ErrorCode.NotFound,
      message: 'Volume type with name nope could not be found.',
    });
  });
});
