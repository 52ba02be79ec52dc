import { VolumeMigrationEntity } from '../entities/volume-migration.entity';
import { VolumeEntity } from '../entities/volume.entity';
import { openTransitionsDb, seedMigration, seedVolume, TransitionsDb } from '../../test/transition-fixtures';
import { commitDriverMove, clearDriverMove, recordDriverMoveIntent, unfinishedDriverMoves } from './migration-driver-move';
import { endMigrationWithError } from './migration-failure';

const TO = 'host-a@file#pool2';

describe('driver-assisted move transitions (real PostgreSQL)', () => {
  let db: TransitionsDb;

  beforeAll(async () => {
    db = await openTransitionsDb('driver_move');
  });

  afterAll(async () => {
    await db?.close();
  });

  /** A locked volume whose driver-assisted migration its host has taken. */
  async function moving(migrationStatus = 'migrating') {
    const volumeId = await seedVolume(db.ds, { status: 'maintenance', previousStatus: 'available', migrationStatus });
    const migrationId = await seedMigration(db.ds, volumeId, { status: migrationStatus, mode: 'driver-assisted' });
    return { volumeId, migrationId };
  }

  const volume = (id: string) => db.ds.getRepository(VolumeEntity).findOneByOrFail({ id });
  const run = (id: string) => db.ds.getRepository(VolumeMigrationEntity).findOneByOrFail({ id });
  const commit = (m: { volumeId: string; migrationId: string }) =>
    commitDriverMove(db.ds.manager, { ...m, destPoolHost: TO, providerLocation: '/data/pool2/volume-x' });

  it('when the host takes the move, then its intent is recorded before any file is touched, and a resumed move records it again', async () => {
    const m = await moving();
    expect(await recordDriverMoveIntent(db.ds.manager, m.migrationId)).toBe(true);
    expect((await run(m.migrationId)).movePhase).toBe('placing');
    expect(await recordDriverMoveIntent(db.ds.manager, m.migrationId)).toBe(true);
  });

  it('when the migration is not under way, then no intent is recorded: nothing may move', async () => {
    const ended = await moving('error');
    expect(await recordDriverMoveIntent(db.ds.manager, ended.migrationId)).toBe(false);
    expect((await run(ended.migrationId)).movePhase).toBeNull();
  });

  it('when the new location is durable, then one commit moves the volume, ends the migration and leaves the old location to remove', async () => {
    const m = await moving();
    await recordDriverMoveIntent(db.ds.manager, m.migrationId);
    expect(await commit(m)).toBe('committed');
    expect(await volume(m.volumeId)).toMatchObject({
      host: TO,
      providerLocation: '/data/pool2/volume-x',
      status: 'available',
      migrationStatus: 'success',
      migrationProgress: null,
    });
    expect(await run(m.migrationId)).toMatchObject({ status: 'success', movePhase: 'committed' });
    expect(await recordDriverMoveIntent(db.ds.manager, m.migrationId)).toBe(false);
  });

  it('when the commit is repeated (its answer was lost), then it answers committed again and changes nothing', async () => {
    const m = await moving();
    await recordDriverMoveIntent(db.ds.manager, m.migrationId);
    await commit(m);
    const before = await volume(m.volumeId);
    expect(await commit(m)).toBe('committed');
    expect(await volume(m.volumeId)).toEqual(before);
  });

  it('when the watchdog ended the migration before the commit, then the volume stays on its pool and the move must be undone', async () => {
    const m = await moving();
    await recordDriverMoveIntent(db.ds.manager, m.migrationId);
    await endMigrationWithError(db.ds.manager, { migrationId: m.migrationId, volumeId: m.volumeId, error: 'no progress' });
    expect(await commit(m)).toBe('ended');
    expect(await volume(m.volumeId)).toMatchObject({ host: 'host-a@file#pool1', migrationStatus: 'error' });
    expect((await run(m.migrationId)).movePhase).toBe('placing');
  });

  it('when an admin reset the volume out of the migration, then nothing commits', async () => {
    const m = await moving();
    await recordDriverMoveIntent(db.ds.manager, m.migrationId);
    await db.ds.query(`UPDATE volumes SET migration_status = 'error' WHERE id = $1`, [m.volumeId]);
    expect(await commit(m)).toBe('ended');
    expect(await volume(m.volumeId)).toMatchObject({ host: 'host-a@file#pool1', providerLocation: null });
    expect((await run(m.migrationId)).status).toBe('migrating');
  });

  it('when a host starts, then it finds its own unfinished moves, in any status, until they are cleared', async () => {
    const placing = await moving();
    await recordDriverMoveIntent(db.ds.manager, placing.migrationId);
    const committed = await moving();
    await recordDriverMoveIntent(db.ds.manager, committed.migrationId);
    await commit(committed);
    const untouched = await moving();

    const found = async (host: string) => (await unfinishedDriverMoves(db.ds.manager, host)).map((m) => m.id);
    expect(await found('host-a')).toEqual(expect.arrayContaining([placing.migrationId, committed.migrationId]));
    expect(await found('host-a')).not.toContain(untouched.migrationId);
    expect(await found('host-b')).toEqual([]);
    await clearDriverMove(db.ds.manager, committed.migrationId);
    expect(await found('host-a')).not.toContain(committed.migrationId);
  });
});
