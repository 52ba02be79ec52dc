import pino from 'pino';
import { DataSource } from 'typeorm';
import { ApiVersion, MIGRATION_PROGRESS } from '@volume/microversion';
import { VolumeEntity } from '@volume/persistence';
import { ComputeClient } from '../clients/compute.client';
import { SchedulerClient } from '../clients/scheduler.client';
import { WorkerClient } from '../clients/worker.client';
import { ApiConfig } from '../config';
import { AuthedContext } from '../http/request-context';
import { VolumeActionsService } from './volume-actions.service';
import { VolumeAdminActionsService } from './volume-admin-actions.service';
import { VolumesService } from './volumes.service';

const ctx: AuthedContext = {
  requestId: 'req-1',
  version: ApiVersion.parse(MIGRATION_PROGRESS),
  baseUrl: 'http://api',
  caller: { userId: 'admin', projectId: 'p', roles: [], isAdmin: true, isService: false },
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

function service(progress: Source, swapProgress: Source = async () => ({ progress: null })) {
  const calls: string[] = [];
  const computeCalls: string[] = [];
  const workers = {
    migrationProgress: (_host: string, volumeId: string) => {
      calls.push(volumeId);
      return progress(volumeId);
    },
  } as unknown as WorkerClient;
  const compute = {
    swapProgress: (volumeId: string) => {
      computeCalls.push(volumeId);
      return swapProgress(volumeId);
    },
  } as unknown as ComputeClient;
  const svc = new VolumeAdminActionsService(
    {} as DataSource,
    new VolumeActionsService(),
    {} as VolumesService,
    {} as SchedulerClient,
    workers,
    compute,
    { MIGRATION_PROGRESS_TIMEOUT_MS: 200 } as ApiConfig,
    pino({ level: 'silent' }),
  );
  return { svc, calls, computeCalls };
}

describe('live migration progress for GET volume', () => {
  it('when 32 GETs of one migrating volume arrive together, then the worker is asked once and all see its answer', async () => {
    const { svc, calls } = service(async () => ({ progress: '42' }));
    const answers = await Promise.all(Array.from({ length: 32 }, () => svc.migrationProgress(ctx, migrating('v1', '10'))));
    expect(calls).toEqual(['v1']);
    expect(new Set(answers)).toEqual(new Set(['42']));
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

  it('when the caller is not an admin, then the worker is not asked and nothing is shown', async () => {
    const { svc, calls } = service(async () => ({ progress: '42' }));
    const member = { ...ctx, caller: { ...ctx.caller, isAdmin: false, isService: false } };
    expect(await svc.migrationProgress(member, migrating('v1', '10'))).toBeNull();
    expect(calls).toEqual([]);
  });
});
