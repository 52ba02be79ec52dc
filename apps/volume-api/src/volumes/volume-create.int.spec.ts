import pino from 'pino';
import { DataSource } from 'typeorm';
import { CodedError, ErrorCode } from '@volume/contracts';
import { createDataSource, VolumeEntity } from '@volume/persistence';
import { SchedulerRpcClient, WorkerRpcClient } from '@volume/rpc-clients';
import { createTestDatabase, TestDatabase } from '@volume/testing';
import { Caller } from '@volume/auth';
import { loadApiConfig } from '../config';
import { BackgroundCalls } from '../shutdown/background-calls';
import { VolumeTypesService } from '../types/volume-types.service';
import { VolumeReader } from './volume.reader';
import { VolumesService } from './volumes.service';

// A create commits its row, then reads it back for the answer. Under a burst that read can fail (no
// pooled connection within the connect timeout: 503); the committed volume must still reach the
// scheduler, never stay `creating` with nobody making it.

const member: Caller = { userId: 'u1', projectId: 'p1', roles: ['member', 'reader'], isAdmin: false, isService: false };

let db: TestDatabase;
let ds: DataSource;
let service: VolumesService;
let type: Awaited<ReturnType<VolumeTypesService['create']>>;
const scheduled: string[] = [];
/** Calls the scheduler leaves unanswered (one restarting: each times out after 1 s) before it takes the next. */
let refusals = 0;

beforeAll(async () => {
  db = await createTestDatabase('volume_create');
  ds = await createDataSource({ url: db.url, poolSize: 2 }).initialize();
  type = await new VolumeTypesService(ds).create({ name: 'open', description: null, isPublic: true, extraSpecs: {} });
  const scheduler = {
    scheduleCreate: async (id: string) => {
      if (refusals > 0 && refusals--) {
        await new Promise((r) => setTimeout(r, 1_000));
        throw new CodedError(ErrorCode.Timeout, 'No answer on scheduler.create_volume.v1 within 1000 ms');
      }
      scheduled.push(id);
    },
  } as unknown as SchedulerRpcClient;
  const config = loadApiConfig({ QUOTA_VOLUMES: '-1' });
  const log = pino({ level: 'silent' });
  service = new VolumesService(ds, scheduler, {} as WorkerRpcClient, config, log, new BackgroundCalls(log));
});

afterAll(async () => {
  await ds?.destroy();
  await db?.drop();
});

const input = () => ({ name: 'v', description: null, size: 1, metadata: {}, volumeType: type, availabilityZone: null });

describe('VolumesService.create', () => {
  it('when the read of the answer works, then the answer shows the volume creating and the scheduler has it', async () => {
    const v = await service.create(member, input(), 'req-1');
    expect([v.status, scheduled.includes(v.id)]).toEqual(['creating', true]);
  });

  it('when the read of the answer fails after the commit, then the error reaches the client and the volume still reaches the scheduler', async () => {
    const unavailable = new CodedError(ErrorCode.Unavailable, 'The server is currently unavailable. Please try again at a later time.');
    const read = jest.spyOn(VolumeReader.prototype, 'read').mockRejectedValueOnce(unavailable);
    try {
      await expect(service.create(member, input(), 'req-2')).rejects.toBe(unavailable);
    } finally {
      read.mockRestore();
    }
    const rows = await ds.getRepository(VolumeEntity).find({ where: { displayName: 'v' } });
    expect(rows.map((r) => scheduled.includes(r.id))).toEqual([true, true]);
  });

  it('when no scheduler answers at first (one restarting), then the 202 does not wait and the create reaches the scheduler once one answers', async () => {
    refusals = 2;
    const startedAt = Date.now();
    const v = await service.create(member, input(), 'req-3');
    const answeredInMs = Date.now() - startedAt;
    const deadline = Date.now() + 10_000;
    while (!scheduled.includes(v.id) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const row = await ds.getRepository(VolumeEntity).findOneByOrFail({ id: v.id });
    expect({ status: v.status, quick: answeredInMs < 1_000, scheduled: scheduled.includes(v.id), refusals, row: row.status }).toEqual({
      status: 'creating',
      quick: true,
      scheduled: true,
      refusals: 0,
      row: 'creating',
    });
  });
});
