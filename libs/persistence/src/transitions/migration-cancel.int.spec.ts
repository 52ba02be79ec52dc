import { ErrorCode } from '@volume/domain';
import { VolumeMigrationEntity } from '../entities/volume-migration.entity';
import { HOST_B, openTransitionsDb, raceAgainstOpenTransaction, seedMigration, seedVolume, TransitionsDb, volumeRow } from '../../test/transition-fixtures';
import { requestMigrationCancel, setMigrationBandwidth, withdrawMigrationCancel } from './migration-cancel';
import { commitDriverMove } from './migration-driver-move';
import { endMigrationWithError } from './migration-failure';
import { finishVolumeMigration } from './migration-finish';
import { markComputeSwap } from './migration-progress';

describe('migration cancel and bandwidth transitions (real PostgreSQL)', () => {
  let db: TransitionsDb;

  beforeAll(async () => {
    db = await openTransitionsDb('migration_cancel');
  });

  afterAll(async () => {
    await db?.close();
  });

  /** A locked volume whose host copy runs, with its destination row. */
  async function copying(mode = 'host-assisted') {
    const volumeId = await seedVolume(db.ds, { status: 'maintenance', previousStatus: 'available', migrationStatus: 'migrating' });
    const destVolumeId = await seedVolume(db.ds, { host: HOST_B, migrationStatus: `target:${volumeId}` });
    const migrationId = await seedMigration(db.ds, volumeId, { status: 'migrating', mode });
    await db.ds.query(`UPDATE volume_migrations SET dest_volume_id = $2 WHERE id = $1`, [migrationId, destVolumeId]);
    return { volumeId, destVolumeId, migrationId };
  }

  const run = (id: string) => db.ds.getRepository(VolumeMigrationEntity).findOneByOrFail({ id });

  it('when the row swap holds the volume, then a cancel waits for it and finds the migration past its switch-over', async () => {
    const m = await copying();
    const cancel = await raceAgainstOpenTransaction(
      db.ds,
      (em) => finishVolumeMigration(em, m.volumeId, m.destVolumeId),
      () => requestMigrationCancel(db.ds.manager, m.volumeId),
    );
    expect(cancel).toEqual({ status: 'fulfilled', value: expect.objectContaining({ verdict: 'past-switch-over', ended: false }) });
    expect((await run(m.migrationId)).status).toBe('success');
  });

  it('when the cancel holds the volume, then the row swap waits for it and is refused: the source keeps its data', async () => {
    const m = await copying();
    const swap = await raceAgainstOpenTransaction(
      db.ds,
      (em) => requestMigrationCancel(em, m.volumeId),
      () => finishVolumeMigration(db.ds.manager, m.volumeId, m.destVolumeId),
    );
    expect(swap).toEqual({ status: 'rejected', reason: expect.objectContaining({ code: ErrorCode.InvalidVolume }) });
    expect(await volumeRow(db.ds, m.volumeId)).toMatchObject({ migration_status: 'cancelling', host: 'host-a@file#pool1' });
    expect((await run(m.migrationId)).status).toBe('cancelling');
  });

  it('when a driver move is cancelled before its commit, then the commit finds it ended', async () => {
    const m = await copying('driver-assisted');
    await db.ds.query(`UPDATE volume_migrations SET move_phase = 'placing' WHERE id = $1`, [m.migrationId]);
    expect((await requestMigrationCancel(db.ds.manager, m.volumeId)).verdict).toBe('cancel');
    expect(await commitDriverMove(db.ds.manager, { ...m, destPoolHost: 'host-a@file#pool2', providerLocation: '/x' })).toBe('ended');
  });

  it('when a cancelling migration ends (its runner stopped, the compute side rolled back), then it is cancelled, not an error, and the volume is free again', async () => {
    const m = await copying();
    await requestMigrationCancel(db.ds.manager, m.volumeId);
    await endMigrationWithError(db.ds.manager, { migrationId: m.migrationId, volumeId: m.volumeId, error: 'volume copy aborted' });
    expect(await volumeRow(db.ds, m.volumeId)).toMatchObject({ migration_status: 'cancelled', status: 'available' });
    expect(await run(m.migrationId)).toMatchObject({ status: 'cancelled', error: null, finishedAt: expect.any(Date) });
    expect((await requestMigrationCancel(db.ds.manager, m.volumeId)).verdict).toBe('already-cancelled');
  });

  it('when a host copy is cancelled before it hands an attached volume to the compute side, then the handover is refused', async () => {
    const m = await copying();
    await requestMigrationCancel(db.ds.manager, m.volumeId);
    expect(await markComputeSwap(db.ds.manager, m.migrationId)).toBe(false);
    expect((await run(m.migrationId)).mode).toBe('host-assisted');
    const running = await copying();
    expect(await markComputeSwap(db.ds.manager, running.migrationId)).toBe(true);
  });

  it('when the compute side refuses, then the cancel is withdrawn and the migration runs on', async () => {
    const m = await copying('compute-swap');
    await requestMigrationCancel(db.ds.manager, m.volumeId);
    await withdrawMigrationCancel(db.ds.manager, m);
    expect((await volumeRow(db.ds, m.volumeId))?.migration_status).toBe('migrating');
    expect((await run(m.migrationId)).status).toBe('migrating');
  });

  it('when a bandwidth is set, then only a running migration keeps it', async () => {
    const m = await copying();
    expect(await setMigrationBandwidth(db.ds.manager, m.volumeId, 4096)).toMatchObject({ id: m.migrationId, mode: 'host-assisted' });
    expect((await run(m.migrationId)).bandwidthLimit).toBe(4096);
    const idle = await seedVolume(db.ds);
    expect(await setMigrationBandwidth(db.ds.manager, idle, 4096)).toBeNull();
  });

  it('when a volume is deleted, then its migrations stay as history', async () => {
    const volumeId = await seedVolume(db.ds);
    const migrationId = await seedMigration(db.ds, volumeId, { status: 'success', mode: 'host-assisted' });
    await db.ds.query(`DELETE FROM volumes WHERE id = $1`, [volumeId]);
    expect(await run(migrationId)).toMatchObject({ volumeId, status: 'success' });
  });
});
