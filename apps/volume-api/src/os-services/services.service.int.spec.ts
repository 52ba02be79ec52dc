import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { createDataSource, PoolEntity, ServiceEntity } from '@volume/persistence';
import { createTestDatabase, TestDatabase } from '@volume/testing';
import { loadApiConfig } from '../config';
import { PoolsService } from '../scheduler-stats/pools.service';
import { VolumeTypesService } from '../types/volume-types.service';
import { ServicesService } from './services.service';

// `GET /os-services` against a freshly migrated PostgreSQL database: a service is up or down by
// the database clock, and a volume backend's state comes from its pools' reports.

const config = loadApiConfig({ SERVICE_DOWN_TIME_S: '60' });

let db: TestDatabase;
let ds: DataSource;
let services: ServicesService;

beforeAll(async () => {
  db = await createTestDatabase('os_services');
  ds = await createDataSource({ url: db.url, poolSize: 2 }).initialize();
  services = new ServicesService(ds, config, new PoolsService(ds, config, new VolumeTypesService(ds)));

  const pool = (name: string, reportedAgo: string) => ({
    name,
    serviceHost: name.split('@')[0],
    availabilityZone: 'nova',
    totalCapacityGb: 100,
    freeCapacityGb: 90,
    capabilities: {},
    updatedAt: () => `now() - interval '${reportedAgo}'`,
  });
  await ds.getRepository(PoolEntity).insert([pool('host-a@file#pool1', '5 seconds'), pool('host-b@file#pool1', '3 minutes')]);

  const service = (host: string, binary: string, updatedAgo: string | null) => ({
    uuid: randomUUID(),
    host,
    binary,
    topic: binary,
    availabilityZone: 'nova',
    createdAt: () => `now() - interval '10 minutes'`,
    updatedAt: updatedAgo === null ? null : () => `now() - interval '${updatedAgo}'`,
  });
  await ds
    .getRepository(ServiceEntity)
    .insert([
      service('host-a@file', 'cinder-volume', '2 seconds'),
      service('host-a', 'cinder-scheduler', '5 minutes'),
      service('host-b@file', 'cinder-volume', null),
    ]);
});

afterAll(async () => {
  await ds?.destroy();
  await db?.drop();
});

describe('services', () => {
  it('when services are listed, then each is up or down by its last heartbeat on the database clock', async () => {
    const listed = await services.list({});
    expect(listed.map((s) => [s.service.host, s.service.binary, s.up, s.backendState])).toEqual([
      ['host-a@file', 'cinder-volume', true, 'up'],
      ['host-a', 'cinder-scheduler', false, null],
      ['host-b@file', 'cinder-volume', false, null],
    ]);
  });

  it('when services are filtered by host or binary, then only exact matches remain', async () => {
    expect((await services.list({ host: 'host-a' })).map((s) => s.service.binary)).toEqual(['cinder-scheduler']);
    expect((await services.list({ binary: 'cinder-volume' })).map((s) => s.service.host)).toEqual(['host-a@file', 'host-b@file']);
    expect(await services.list({ host: 'host-a', binary: 'cinder-volume' })).toEqual([]);
  });
});
