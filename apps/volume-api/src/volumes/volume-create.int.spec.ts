import pino from 'pino';
import { DataSource, In } from 'typeorm';
import { CodedError, ErrorCode } from '@volume/contracts';
import { createDataSource, VolumeEntity } from '@volume/persistence';
import { SchedulerRpcClient, WorkerRpcClient } from '@volume/rpc-clients';
import { createTestDatabase, TestDatabase } from '@volume/testing';
import { Caller } from '@volume/auth';
import { loadApiConfig } from '../config';
import { BackgroundCalls } from '../shutdown/background-calls';
import { VolumeTypesService } from '../types/volume-types.service';
import { VolumesService } from './volumes.service';

// A create commits its row (with the creates that arrived with it, in one transaction) and answers
// it as written; the committed volume must reach the scheduler, never stay `creating` with nobody
// making it, and a burst must not take a connection a create (it had answered 503 for want of one).

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
  it('when a volume is created, then the answer shows it creating and the scheduler has it', async () => {
    const v = await service.create(member, input(), 'req-1');
    expect([v.status, scheduled.includes(v.id)]).toEqual(['creating', true]);
  });

  it('when 40 creates arrive at once with a pool of 2 connections, then they are written together, each answered with its own row, and all reach the scheduler', async () => {
    const transactions = jest.spyOn(ds.manager, 'transaction');
    try {
      const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => service.create(member, { ...input(), name: `burst-${i}`, metadata: { i: String(i) } }, `req-b${i}`)));
      expect(answers.map((v) => [v.displayName, v.metadata?.map((m) => [m.key, m.value]), v.volumeType?.id])).toEqual(
        Array.from({ length: 40 }, (_, i) => [`burst-${i}`, [['i', String(i)]], type.id]),
      );
      expect(transactions.mock.calls.length).toBeLessThanOrEqual(2);
      const rows = await ds.getRepository(VolumeEntity).findBy({ id: In(answers.map((v) => v.id)) });
      const deadline = Date.now() + 10_000;
      while (!answers.every((v) => scheduled.includes(v.id)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect({ rows: rows.length, creating: rows.every((r) => r.status === 'creating'), scheduled: answers.every((v) => scheduled.includes(v.id)) }).toEqual({
        rows: 40,
        creating: true,
        scheduled: true,
      });
    } finally {
      transactions.mockRestore();
    }
  });

  it('when the database refuses one create of a batch (its type deleted meanwhile), then only that create fails', async () => {
    const doomed = await new VolumeTypesService(ds).create({ name: 'doomed', description: null, isPublic: true, extraSpecs: {} });
    await ds.query(`DELETE FROM volume_types WHERE id = $1`, [doomed.id]);
    const outcomes = await Promise.allSettled([
      service.create(member, { ...input(), name: 'kept-1' }, 'req-k1'),
      service.create(member, { ...input(), name: 'refused', volumeType: doomed }, 'req-k2'),
      service.create(member, { ...input(), name: 'kept-2' }, 'req-k3'),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const names = (await ds.getRepository(VolumeEntity).findBy({ displayName: In(['kept-1', 'refused', 'kept-2']) })).map((v) => v.displayName).sort();
    expect(names).toEqual(['kept-1', 'kept-2']);
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
