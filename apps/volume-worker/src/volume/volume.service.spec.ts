import pino from 'pino';
import { DataSource } from 'typeorm';
import { VolumeEntity } from '@volume/persistence';
import { FileDriver } from '../backend/file-driver';
import type { WorkerConfig } from '../config';
import { VolumeService } from './volume.service';

const log = pino({ level: 'silent' });
const volume = { id: '6f1d7c1e-2b3a-4c5d-8e9f-0a1b2c3d4e5f', host: 'host-a@file#pool1', size: 1, status: 'creating' } as VolumeEntity;

/** A file driver whose creates and deletes take `ms`, counting them; and a database that accepts every write. */
function service(ms: number) {
  const calls = { create: 0, delete: 0 };
  const slow = () => new Promise((r) => setTimeout(r, ms));
  const driver = {
    hasPool: () => true,
    create: async () => {
      calls.create++;
      await slow();
      return { path: '/pools/pool1/volume-x', created: true };
    },
    delete: async () => {
      calls.delete++;
      await slow();
    },
  } as unknown as FileDriver;
  const manager = {
    // A write answers [rows, affected]; a batch of volumes made available returns each of their ids.
    query: async (sql: string, params: unknown[] = []) => (sql.startsWith('SELECT') ? [] : [Array.isArray(params[0]) ? params[0].map((id) => ({ id })) : [{}], 1]),
    transaction: async (work: (tx: unknown) => Promise<unknown>) => work(manager),
  };
  const ds = { getRepository: () => ({ manager }) } as unknown as DataSource;
  const cfg = { VOLUME_HOST: 'host-a', VOLUME_BACKEND_NAME: 'file' } as WorkerConfig;
  return { volumes: new VolumeService(ds, driver, cfg), calls };
}

describe('VolumeService: a create or delete asked again while under way', () => {
  it('when a create is asked again before it ends (a caller that timed out, a sweep), then the second joins the first: one file made', async () => {
    const { volumes, calls } = service(50);
    const outcomes = await Promise.all([volumes.finishCreate(volume, log), volumes.finishCreate(volume, log)]);
    expect({ outcomes, creates: calls.create }).toEqual({ outcomes: ['available', 'available'], creates: 1 });
  });

  it('when a delete is asked again before it ends, then the second joins the first; once over, a new ask does the work again', async () => {
    const { volumes, calls } = service(50);
    await Promise.all([volumes.finishDelete(volume, log), volumes.finishDelete(volume, log)]);
    await volumes.finishDelete(volume, log);
    expect(calls.delete).toBe(2);
  });
});
