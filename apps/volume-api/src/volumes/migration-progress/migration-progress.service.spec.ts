import pino from 'pino';
import { DataSource } from 'typeorm';
import { ApiVersion, MIGRATION_PROGRESS } from '@volume/microversion';
import { MigrationMode, VolumeEntity } from '@volume/persistence';
import { ComputeRpcClient, WorkerRpcClient } from '@volume/rpc-clients';
import { ApiConfig } from '../../config';
import { AuthedContext } from '../../http/request-context';
import { MigrationProgressService } from './migration-progress.service';

const ctx: AuthedContext = {
  requestId: 'req-1',
  version: ApiVersion.parse(MIGRATION_PROGRESS),
  baseUrl: 'http://api',
  caller: { userId: 'admin', projectId: 'p', roles: ['admin'], isAdmin: true, isService: false },
};

function migrating(id: string, persisted: string | null, previousStatus = 'available'): VolumeEntity {
  return Object.assign(new VolumeEntity(), {
    id,
    host: 'host-a@file#pool1',
    status: previousStatus,
    previousStatus,
    migrationStatus: 'migrating',
    migrationProgress: persisted,
  });
}

type Source = (volumeId: string) => Promise<{ progress: string | null }>;

function service(progress: Source, swapProgress: Source = async () => ({ progress: null }), mode: MigrationMode | null = 'host-assisted') {
  const calls: string[] = [];
  const computeCalls: string[] = [];
  const modeLookups: string[] = [];
  // The recorded mode is all the service reads of the database (activeMigrationMode's one query).
  const ds = {
    manager: {
      query: async (_sql: string, [volumeId]: [string]) => {
        modeLookups.push(volumeId);
        return mode === null ? [] : [{ mode }];
      },
    },
  } as unknown as DataSource;
  const workers = {
    migrationProgress: (_host: string, volumeId: string) => {
      calls.push(volumeId);
      return progress(volumeId);
    },
  } as unknown as WorkerRpcClient;
  const compute = {
    swapProgress: (volumeId: string) => {
      computeCalls.push(volumeId);
      return swapProgress(volumeId);
    },
  } as unknown as ComputeRpcClient;
  const svc = new MigrationProgressService(ds, workers, compute, { MIGRATION_PROGRESS_TIMEOUT_MS: 200 } as ApiConfig, pino({ level: 'silent' }));
  return { svc, calls, computeCalls, modeLookups };
}

/** Lets the service's awaited lookups (the mode's query, then the source) run. */
const flush = () => new Promise((r) => setImmediate(r));

describe('live migration progress for GET volume', () => {
  it('when 32 GETs of one migrating volume arrive together, then the mode is read once, the worker is asked once and all see its answer', async () => {
    const { svc, calls, modeLookups } = service(async () => ({ progress: '42' }));
    const answers = await Promise.all(Array.from({ length: 32 }, () => svc.migrationProgress(ctx, migrating('v1', '10'))));
    expect(modeLookups).toEqual(['v1']);
    expect(calls).toEqual(['v1']);
    expect(new Set(answers)).toEqual(new Set(['42']));
  });

  describe('as time passes', () => {
    let now = 1_000_000;
    beforeEach(() => jest.spyOn(Date, 'now').mockImplementation(() => now));
    afterEach(() => jest.restoreAllMocks());

    /** A worker whose answers the test releases one by one. */
    function slowWorker() {
      const waiting: ((v: { progress: string }) => void)[] = [];
      const source: Source = () => new Promise((resolve) => waiting.push(resolve));
      return { source, answer: (progress: string) => waiting.shift()!({ progress }), waiting };
    }

    it('when an answer is younger than 250 ms, then GETs are answered with it and nobody is asked', async () => {
      const { svc, calls } = service(async () => ({ progress: String(calls.length * 10) }));
      expect(await svc.migrationProgress(ctx, migrating('v1', null))).toBe('10');
      now += 249;
      expect(await svc.migrationProgress(ctx, migrating('v1', null))).toBe('10');
      expect(calls).toEqual(['v1']);
    });

    it('when an answer is older than 250 ms but younger than a second, then GETs get it at once while one new lookup runs, and its answer after', async () => {
      const worker = slowWorker();
      const { svc, calls } = service(worker.source);
      const first = svc.migrationProgress(ctx, migrating('v1', null));
      await flush();
      worker.answer('20');
      expect(await first).toBe('20');
      now += 600;
      // The source is busy: its answer does not come, yet these GETs do not wait for it.
      const during = await Promise.all(Array.from({ length: 5 }, () => svc.migrationProgress(ctx, migrating('v1', null))));
      expect(during).toEqual(['20', '20', '20', '20', '20']);
      await flush();
      expect(calls).toEqual(['v1', 'v1']);
      worker.answer('35');
      await flush();
      expect(await svc.migrationProgress(ctx, migrating('v1', null))).toBe('35');
      expect(calls).toEqual(['v1', 'v1']);
    });

    it('when nobody asked about a volume for a second or more, then the next GET waits for a new answer (never shows an old one)', async () => {
      const worker = slowWorker();
      const { svc, calls } = service(worker.source);
      const first = svc.migrationProgress(ctx, migrating('v1', null));
      await flush();
      worker.answer('20');
      await first;
      now += 1_000;
      let settled = false;
      const later = svc.migrationProgress(ctx, migrating('v1', null)).then((v) => {
        settled = true;
        return v;
      });
      await flush();
      expect(settled).toBe(false);
      worker.answer('60');
      expect(await later).toBe('60');
      expect(calls).toEqual(['v1', 'v1']);
    });
  });

  it('when two volumes migrate, then each is asked on its own', async () => {
    const { svc, calls } = service(async (id) => ({ progress: id === 'v1' ? '1' : '2' }));
    expect(await svc.migrationProgress(ctx, migrating('v1', null))).toBe('1');
    expect(await svc.migrationProgress(ctx, migrating('v2', null))).toBe('2');
    expect(calls).toEqual(['v1', 'v2']);
  });

  it('when the worker does not answer, then the persisted value is shown', async () => {
    const { svc } = service(async () => {
      throw new Error('timeout');
    });
    expect(await svc.migrationProgress(ctx, migrating('v1', '37'))).toBe('37');
  });

  it('when the caller is not an admin, then neither the database nor the worker is asked and nothing is shown', async () => {
    const { svc, calls, modeLookups } = service(async () => ({ progress: '42' }));
    const member = { ...ctx, caller: { ...ctx.caller, roles: ['member', 'reader'], isAdmin: false, isService: false } };
    expect(await svc.migrationProgress(member, migrating('v1', '10'))).toBeNull();
    expect(modeLookups).toEqual([]);
    expect(calls).toEqual([]);
  });

  it('when the migration is recorded as a compute swap, then nova-bridge is asked, not the worker', async () => {
    const { svc, calls, computeCalls } = service(async () => ({ progress: '5' }), async () => ({ progress: '63' }), 'compute-swap');
    expect(await svc.migrationProgress(ctx, migrating('v1', '10', 'in-use'))).toBe('63');
    expect(computeCalls).toEqual(['v1']);
    expect(calls).toEqual([]);
  });

  it('when an in-use volume is still copied by its host (not yet handed to compute), then the worker is asked', async () => {
    const { svc, calls, computeCalls } = service(async () => ({ progress: '12' }), async () => ({ progress: '63' }), 'host-assisted');
    expect(await svc.migrationProgress(ctx, migrating('v1', null, 'in-use'))).toBe('12');
    expect(calls).toEqual(['v1']);
    expect(computeCalls).toEqual([]);
  });

  it('when the mode is not recorded yet, then the worker is asked', async () => {
    const { svc, calls, computeCalls } = service(async () => ({ progress: '3' }), async () => ({ progress: '63' }), null);
    expect(await svc.migrationProgress(ctx, migrating('v1', null, 'in-use'))).toBe('3');
    expect(calls).toEqual(['v1']);
    expect(computeCalls).toEqual([]);
  });
});
