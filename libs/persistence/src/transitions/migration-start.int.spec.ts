import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ErrorCode, migrationRefusalMessage } from '@volume/domain';
import { HOST_A, HOST_B, openTransitionsDb, raceAgainstOpenTransaction, seedMigration, seedVolume, TransitionsDb, volumeRow } from '../../test/transition-fixtures';
import { activeMigrationMode, MigrationRequest, startVolumeMigration } from './migration-start';

describe('migration start transition (real PostgreSQL)', () => {
  let db: TransitionsDb;
  let ds: DataSource;

  beforeAll(async () => {
    db = await openTransitionsDb('migstart');
    ds = db.ds;
  });

  afterAll(async () => {
    await db?.close();
  });

  const request = (volumeId: string, overrides: Partial<MigrationRequest> = {}): MigrationRequest => ({
    migrationId: randomUUID(),
    volumeId,
    destination: { host: HOST_B },
    requestedDest: HOST_B,
    lockVolume: false,
    forceHostCopy: false,
    ...overrides,
  });
  const migrationsOf = (volumeId: string) =>
    ds.query(`SELECT status, source_host, dest_host, lock_volume, bytes_total FROM volume_migrations WHERE volume_id = $1`, [volumeId]);

  it('when an available volume is migrated, then it is starting, remembers its status, and the migration row waits for placement', async () => {
    const id = await seedVolume(ds);
    await ds.query(`UPDATE volumes SET migration_progress = '100' WHERE id = $1`, [id]);
    await startVolumeMigration(ds.manager, request(id));
    expect(await volumeRow(ds, id)).toMatchObject({ status: 'available', previous_status: 'available', migration_status: 'starting', migration_progress: null });
    expect(await migrationsOf(id)).toEqual([
      { status: 'starting', source_host: HOST_A, dest_host: HOST_B, lock_volume: false, bytes_total: String(1024 ** 3) },
    ]);
  });

  it('when the lock is asked, then an available volume goes into maintenance and an in-use one stays in use', async () => {
    const available = await seedVolume(ds);
    const inUse = await seedVolume(ds, { status: 'in-use', attachStatus: 'attached' });
    await startVolumeMigration(ds.manager, request(available, { lockVolume: true }));
    await startVolumeMigration(ds.manager, request(inUse, { lockVolume: true }));
    expect(await volumeRow(ds, available)).toMatchObject({ status: 'maintenance', previous_status: 'available' });
    expect(await volumeRow(ds, inUse)).toMatchObject({ status: 'in-use', previous_status: 'in-use' });
  });

  it.each([
    ['its own host', {}, { destination: { host: HOST_A }, requestedDest: HOST_A }],
    ['in error', { status: 'error' }, {}],
    ['in maintenance', { status: 'maintenance' }, {}],
    ['migrating already', { migrationStatus: 'migrating' }, {}],
  ])('when the volume goes to %s, then the start is refused and nothing is written', async (_what, seed, overrides) => {
    const id = await seedVolume(ds, seed);
    const before = await volumeRow(ds, id);
    await expect(startVolumeMigration(ds.manager, request(id, overrides))).rejects.toMatchObject({
      code: ErrorCode.InvalidVolume,
      message: migrationRefusalMessage(id),
    });
    expect(await volumeRow(ds, id)).toEqual(before);
    expect(await migrationsOf(id)).toEqual([]);
  });

  it('when two starts race, then the first wins and the second, judged on what the first wrote, is refused', async () => {
    const id = await seedVolume(ds);
    const second = await raceAgainstOpenTransaction(
      ds,
      (em) => startVolumeMigration(em, request(id)),
      () => startVolumeMigration(ds.manager, request(id)),
    );
    expect(second).toEqual({
      status: 'rejected',
      reason: expect.objectContaining({ code: ErrorCode.InvalidVolume, message: migrationRefusalMessage(id) }),
    });
    expect(await migrationsOf(id)).toHaveLength(1);
  });

  it('when the volume is gone, then it is not found', async () => {
    await expect(startVolumeMigration(ds.manager, request(randomUUID()))).rejects.toMatchObject({ code: ErrorCode.NotFound });
  });

  describe('the recorded mode', () => {
    it('is null until the scheduler places the migration, then the mode of the migration under way', async () => {
      const id = await seedVolume(ds, { migrationStatus: 'migrating' });
      await seedMigration(ds, id, { status: 'error', mode: 'compute-swap' });
      const running = await seedMigration(ds, id, { status: 'starting' });
      expect(await activeMigrationMode(ds.manager, id)).toBeNull();
      await ds.query(`UPDATE volume_migrations SET mode = 'host-assisted', status = 'migrating' WHERE id = $1`, [running]);
      expect(await activeMigrationMode(ds.manager, id)).toBe('host-assisted');
      await ds.query(`UPDATE volume_migrations SET mode = 'compute-swap' WHERE id = $1`, [running]);
      expect(await activeMigrationMode(ds.manager, id)).toBe('compute-swap');
    });

    it('is null once the migration ended', async () => {
      const id = await seedVolume(ds, { migrationStatus: 'success' });
      await seedMigration(ds, id, { status: 'success', mode: 'compute-swap' });
      expect(await activeMigrationMode(ds.manager, id)).toBeNull();
    });
  });
});
