import pino from 'pino';
import { DataSource } from 'typeorm';
import type { PolicyEnforcer } from '@volume/auth';
import { ComputeServerEntity } from '@volume/persistence/compute-host';
import { ComputeCaller } from './compute-auth';
import { ComputeFault } from './compute-fault';
import { Guest } from './guest';
import { connectorFor, LocalServers, nextDeviceName } from './servers';
import { VolumeApiClient, VolumeApiError } from './volume-api.client';

describe('nextDeviceName', () => {
  it('when a server has no volume, then the first one is vdb (vda is the root disk)', () => {
    expect(nextDeviceName([])).toBe('vdb');
  });

  it('when names were freed by a detach, then the first free one is taken again', () => {
    expect(nextDeviceName(['vdb', 'vdd'])).toBe('vdc');
  });

  it('when every name up to vdz is taken, then it is a 400', () => {
    const all = Array.from({ length: 25 }, (_, i) => `vd${String.fromCharCode(98 + i)}`);
    expect(() => nextDeviceName(all)).toThrow(ComputeFault);
  });
});

describe('connectorFor', () => {
  it('names this host and the device as the mountpoint, as Nova passes them to attachment_update', () => {
    expect(connectorFor('compute-1', 'vdc')).toMatchObject({ host: 'compute-1', mountpoint: '/dev/vdc', multipath: false });
  });
});

describe('LocalServers.attach', () => {
  const serverId = '0d8e5c1a-3b4f-4a6e-9c7d-2e1f0a9b8c7d';
  const volumeId = '6a1b2c3d-4e5f-4a0b-8c1d-2e3f4a5b6c7d';
  const server = { id: serverId, name: 'vm', projectId: 'p1', userId: 'u1', createdAt: new Date(), updatedAt: new Date() };

  it('when the attach fails while the database is away, then its device row is dropped once the database answers, and the attachment released', async () => {
    let deviceRows = 0;
    let deletesRefused = 2;
    const deleteCalls: unknown[] = [];
    const repository = (entity: unknown) =>
      entity === ComputeServerEntity
        ? { findOne: async () => server }
        : {
            find: async () => [],
            insert: async () => void deviceRows++,
            delete: async (where: unknown) => {
              deleteCalls.push(where);
              // What node-postgres says while PostgreSQL restarts.
              if (deletesRefused-- > 0) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
              deviceRows = 0;
            },
          };
    const ds = { getRepository: repository } as unknown as DataSource;
    const released: string[] = [];
    const volumeApi = {
      getVolume: async () => ({ id: volumeId, size: 1, status: 'available', attachments: [] }),
      createAttachment: async () => ({ id: 'att-1', volume_id: volumeId, status: 'reserved' }),
      connectAttachment: async () => '/pool/volume-1',
      completeAttachment: async () => {
        throw new VolumeApiError(503, 'The server is currently unavailable. Please try again at a later time.');
      },
      deleteAttachment: async (_as: unknown, id: string) => void released.push(id),
    } as unknown as VolumeApiClient;
    const guest = { path: '/pool/volume-1', sizeBytes: 1024 ** 3, close: async () => undefined } as unknown as Guest;
    const policy = { allows: () => true } as unknown as PolicyEnforcer;
    const servers = new LocalServers(ds, volumeApi, 'compute-1', async () => guest, pino({ level: 'silent' }), policy);
    const identity = { credentials: async () => ({ headers: {} }) };
    const caller = { projectId: 'p1', userId: 'u1', roles: ['member'], identity: { ...identity, withServiceToken: identity } } as unknown as ComputeCaller;

    await expect(servers.attach(caller, serverId, volumeId)).rejects.toMatchObject({ status: 503 });
    expect({ deviceRows, deletes: deleteCalls.length, released, guests: servers.guests.size }).toEqual({ deviceRows: 0, deletes: 3, released: ['att-1'], guests: 0 });
  });
});
