import { RunMigrationRequest } from '@volume/contracts';
import { endMigrationWithError, recordDriverMoveIntent, VolumeEntity, VolumeMigrationEntity, volumeName } from '@volume/persistence';
import { testServerUrl } from '@volume/testing';
import { DriverMove } from '../src/migration/driver-move/driver-move.service';
import { ProgressRegistry } from '../src/migration/progress-registry';
import { dataDigest, exists, openWorkerBench, poolHost, seedMigration, seedVolume, silentLog as log, stillPendingAfter, WorkerBench } from './migration-fixtures';
import { PgProxy } from './pg-proxy';

// A driver-assisted move between two pools of one host, with the worker "killed" between its steps
// (the steps run one by one; a fresh DriverMove is the restarted worker), against real PostgreSQL
// and real files: at every point the row points at a file that exists and holds the volume's data.

describe('driver-assisted move, crash consistent (real PostgreSQL, real files)', () => {
  let proxy: PgProxy;
  let bench: WorkerBench;

  beforeAll(async () => {
    proxy = await PgProxy.start(testServerUrl());
    bench = await openWorkerBench('driver_move', (db) => proxy.url(db.name));
  });

  afterAll(async () => {
    await bench?.close();
    await proxy?.close();
  });

  /** A worker as it starts: nothing in memory from the one that died. */
  const worker = () => new DriverMove(bench.ds, bench.driver, bench.volumes, new ProgressRegistry());
  const pathIn = (pool: string, volumeId: string) => bench.driver.devicePath(pool, volumeId);

  /** A detached volume on pool1 whose move to pool2 its host has taken. */
  async function moving() {
    const volumeId = await seedVolume(bench, { pool: 'pool1', status: 'maintenance', previousStatus: 'available', migrationStatus: 'migrating' });
    const migrationId = await seedMigration(bench, { volumeId, fromPool: 'pool1', toPool: 'pool2', mode: 'driver-assisted' });
    const req: RunMigrationRequest = { migrationId, volumeId, destPoolHost: poolHost(bench, 'pool2'), mode: 'driver-assisted', destVolumeId: null };
    return { volumeId, migrationId, req, digest: await dataDigest(pathIn('pool1', volumeId)) };
  }

  /** Where the volume's row says its data is, whether a file is there, and what it holds. */
  async function located(volumeId: string) {
    const volume = await bench.sql.getRepository(VolumeEntity).findOneByOrFail({ id: volumeId });
    const path = bench.driver.devicePath(bench.volumes.poolOf(volume), volumeName(volume));
    const there = await exists(path);
    return { host: volume.host, providerLocation: volume.providerLocation, status: volume.status, there, digest: there ? await dataDigest(path) : null };
  }

  const run = (migrationId: string) => bench.sql.getRepository(VolumeMigrationEntity).findOneByOrFail({ id: migrationId });

  it('when the worker dies once the new location is durable, then the row still points at the old file, and the restarted worker finishes the move', async () => {
    const m = await moving();
    await worker().place(m.req, log);
    expect(await located(m.volumeId)).toMatchObject({ host: poolHost(bench, 'pool1'), there: true, digest: m.digest });
    expect(await dataDigest(pathIn('pool2', m.volumeId))).toBe(m.digest);
    expect((await run(m.migrationId)).movePhase).toBe('placing');

    const restarted = worker();
    // At start a move still under way is left as it is: the runner resumes it.
    await restarted.recoverUnfinished(bench.host, log);
    expect((await run(m.migrationId)).movePhase).toBe('placing');
    await restarted.run(m.req, log);
    expect(await located(m.volumeId)).toEqual({
      host: poolHost(bench, 'pool2'),
      providerLocation: pathIn('pool2', m.volumeId),
      status: 'available',
      there: true,
      digest: m.digest,
    });
    expect(await exists(pathIn('pool1', m.volumeId))).toBe(false);
    expect(await run(m.migrationId)).toMatchObject({ status: 'success', movePhase: null });
  });

  it('when the worker dies after the commit, before the old location goes, then the row points at the new file, and the restarted worker removes the old one', async () => {
    const m = await moving();
    const dying = worker();
    await dying.commit(await dying.place(m.req, log), log);
    expect(await located(m.volumeId)).toMatchObject({ host: poolHost(bench, 'pool2'), there: true, digest: m.digest });
    expect(await exists(pathIn('pool1', m.volumeId))).toBe(true);
    expect(await run(m.migrationId)).toMatchObject({ status: 'success', movePhase: 'committed' });

    await worker().recoverUnfinished(bench.host, log);
    expect(await exists(pathIn('pool1', m.volumeId))).toBe(false);
    expect(await located(m.volumeId)).toMatchObject({ host: poolHost(bench, 'pool2'), there: true, digest: m.digest });
    expect((await run(m.migrationId)).movePhase).toBeNull();
  });

  it('when the worker dies right after recording its intent, then the restarted worker makes the move from there', async () => {
    const m = await moving();
    await recordDriverMoveIntent(bench.sql.manager, m.migrationId);
    expect(await located(m.volumeId)).toMatchObject({ host: poolHost(bench, 'pool1'), there: true });
    await worker().run(m.req, log);
    expect(await located(m.volumeId)).toMatchObject({ host: poolHost(bench, 'pool2'), there: true, digest: m.digest });
    expect(await exists(pathIn('pool1', m.volumeId))).toBe(false);
  });

  it('when the watchdog ended the migration while the worker was down mid-move, then the restarted worker undoes the move: the volume keeps its pool and data', async () => {
    const m = await moving();
    await worker().place(m.req, log);
    await endMigrationWithError(bench.sql.manager, { migrationId: m.migrationId, volumeId: m.volumeId, error: 'no progress for 900 s' });

    await worker().recoverUnfinished(bench.host, log);
    expect(await exists(pathIn('pool2', m.volumeId))).toBe(false);
    expect(await located(m.volumeId)).toMatchObject({ host: poolHost(bench, 'pool1'), status: 'available', there: true, digest: m.digest });
    expect(await run(m.migrationId)).toMatchObject({ status: 'error', movePhase: null });
  });

  it('when the migration ends between the durable copy and the commit, then nothing commits and the new location goes', async () => {
    const m = await moving();
    const w = worker();
    const move = await w.place(m.req, log);
    await endMigrationWithError(bench.sql.manager, { migrationId: m.migrationId, volumeId: m.volumeId, error: 'reset' });
    await expect(w.commit(move, log)).rejects.toThrow('the migration ended before its move was committed');
    expect(await exists(pathIn('pool2', m.volumeId))).toBe(false);
    expect(await located(m.volumeId)).toMatchObject({ host: poolHost(bench, 'pool1'), there: true, digest: m.digest });
  });

  it('when the database is down at the commit, then the commit waits for it and the move completes', async () => {
    const m = await moving();
    const w = worker();
    const move = await w.place(m.req, log);
    await proxy.cut();
    const committing = w.commit(move, log);
    try {
      expect(await stillPendingAfter(committing, 1_500)).toBe(true);
    } finally {
      await proxy.restore();
    }
    await committing;
    await w.removeOld(move, log);
    expect(await located(m.volumeId)).toMatchObject({ host: poolHost(bench, 'pool2'), there: true, digest: m.digest });
    expect(await exists(pathIn('pool1', m.volumeId))).toBe(false);
    expect((await run(m.migrationId)).movePhase).toBeNull();
  });
});
