import { RunMigrationRequest } from '@volume/contracts';
import { finishVolumeMigration, VolumeEntity, VolumeMigrationEntity } from '@volume/persistence';
import { WorkerRpcClient } from '@volume/rpc-clients';
import { testServerUrl } from '@volume/testing';
import { MigrationCompletion } from '../src/migration/completion/migration-completion.service';
import { MigrationFailure } from '../src/migration/failure/migration-failure.service';
import { dataDigest, exists, openWorkerBench, poolHost, seedMigration, seedVolume, silentLog as log, stillPendingAfter, WorkerBench } from './migration-fixtures';
import { PgProxy } from './pg-proxy';

// The end of a host copy while the database is away (a relay in front of the real PostgreSQL is
// cut): the row swap and the final writes wait for it, and nothing durable is thrown away.

describe('a migration\'s end across a database outage (real PostgreSQL, real files)', () => {
  let proxy: PgProxy;
  let bench: WorkerBench;
  let completion: MigrationCompletion;
  let failure: MigrationFailure;

  beforeAll(async () => {
    proxy = await PgProxy.start(testServerUrl());
    bench = await openWorkerBench('durability', (db) => proxy.url(db.name));
    // No destination host in these cases: nothing may be sent to one.
    const workers = {} as WorkerRpcClient;
    failure = new MigrationFailure(bench.ds, workers, bench.cfg);
    completion = new MigrationCompletion(bench.ds, bench.volumes, failure);
  });

  afterAll(async () => {
    await bench?.close();
    await proxy?.close();
  });

  /** A volume on pool1 whose copy to a destination on pool2 is durable: what the rows swap. */
  async function copied() {
    const volumeId = await seedVolume(bench, { pool: 'pool1', status: 'maintenance', previousStatus: 'available', migrationStatus: 'migrating' });
    const destVolumeId = await seedVolume(bench, { pool: 'pool2', migrationStatus: `target:${volumeId}` });
    const migrationId = await seedMigration(bench, { volumeId, destVolumeId, fromPool: 'pool1', toPool: 'pool2', mode: 'host-assisted' });
    const req = { migrationId, volumeId, destVolumeId, destPoolHost: poolHost(bench, 'pool2'), mode: 'host-assisted' as const };
    return { req, copy: await dataDigest(bench.driver.devicePath('pool2', destVolumeId)) };
  }

  const volume = (id: string) => bench.sql.getRepository(VolumeEntity).findOneBy({ id });
  const run = (id: string) => bench.sql.getRepository(VolumeMigrationEntity).findOneByOrFail({ id });

  /** The swap happened: the volume reads the copy, and the old data (row and file) is gone. */
  async function expectSwapped(req: RunMigrationRequest & { destVolumeId: string }, copy: string) {
    const swapped = await volume(req.volumeId);
    expect(swapped).toMatchObject({ host: poolHost(bench, 'pool2'), nameId: req.destVolumeId, status: 'available', migrationStatus: 'success' });
    expect(await dataDigest(bench.driver.devicePath('pool2', req.destVolumeId))).toBe(copy);
    expect(await volume(req.destVolumeId)).toBeNull();
    expect(await exists(bench.driver.devicePath('pool1', req.volumeId))).toBe(false);
    expect((await run(req.migrationId)).status).toBe('success');
  }

  it('when the database is down as the copy ends, then the row swap waits for it and the copy is not thrown away', async () => {
    const { req, copy } = await copied();
    await proxy.cut();
    const completing = completion.completeCopy(req, log);
    try {
      expect(await stillPendingAfter(completing, 1_500)).toBe(true);
      expect((await volume(req.volumeId))?.migrationStatus).toBe('migrating');
    } finally {
      await proxy.restore();
    }
    await completing;
    await expectSwapped(req, copy);
  });

  it('when the swap committed but its answer was lost, then the repeat finds it done and only removes the old data', async () => {
    const { req, copy } = await copied();
    await finishVolumeMigration(bench.sql.manager, req.volumeId, req.destVolumeId);
    await completion.completeCopy(req, log);
    await expectSwapped(req, copy);
  });

  it('when the database is down as a migration fails, then its end in error waits for it: the volume does not stay migrating', async () => {
    const volumeId = await seedVolume(bench, { pool: 'pool1', status: 'maintenance', previousStatus: 'available', migrationStatus: 'migrating' });
    const migrationId = await seedMigration(bench, { volumeId, fromPool: 'pool1', toPool: 'pool2', mode: 'driver-assisted' });
    const req: RunMigrationRequest = { migrationId, volumeId, destPoolHost: poolHost(bench, 'pool2'), mode: 'driver-assisted', destVolumeId: null };
    await proxy.cut();
    const failing = failure.fail(req, await run(migrationId), 'disk on fire', log);
    try {
      expect(await stillPendingAfter(failing, 1_500)).toBe(true);
    } finally {
      await proxy.restore();
    }
    await failing;
    expect(await volume(volumeId)).toMatchObject({ status: 'available', migrationStatus: 'error', host: poolHost(bench, 'pool1') });
    expect(await run(migrationId)).toMatchObject({ status: 'error', error: 'disk on fire' });
  });
});
