import { DataSource } from 'typeorm';
import { ErrorCode } from '@volume/domain';
import { HOST_A, HOST_B, openTransitionsDb, seedMigration, seedVolume, TransitionsDb, volumeRow } from '../../test/transition-fixtures';
import {
  abandonUntakenMigration,
  claimPlacement,
  endUnplacedMigration,
  recordPlacement,
  reserveDestination,
  unplacedMigrations,
  untakenMigrations,
} from './migration-destination';

/** A placement's claim and reservation, as the scheduler makes them in its transaction. */
function place(ds: DataSource, m: { migrationId: string; volumeId: string }, wait = true) {
  return ds.transaction(async (em) => {
    const claim = await claimPlacement(em, m, wait);
    if (!claim) return null;
    const destVolumeId = await reserveDestination(em, claim.volume, { poolHost: HOST_B, availabilityZone: 'nova' });
    await recordPlacement(em, { migrationId: m.migrationId, mode: 'host-assisted', destPoolHost: HOST_B, destVolumeId, sourceHost: HOST_A });
    return destVolumeId;
  });
}

describe('migration placement claims (real PostgreSQL)', () => {
  let db: TransitionsDb;
  let ds: DataSource;

  beforeAll(async () => {
    db = await openTransitionsDb('placement');
    ds = db.ds;
  });

  afterAll(async () => {
    await db?.close();
  });

  /** A volume the API accepted a migration of, not placed yet. */
  async function accepted(): Promise<{ migrationId: string; volumeId: string }> {
    const volumeId = await seedVolume(ds, { migrationStatus: 'starting' });
    return { migrationId: await seedMigration(ds, volumeId, { status: 'starting' }), volumeId };
  }

  const destinationsOf = (volumeId: string) => ds.query(`SELECT id, status FROM volumes WHERE migration_status = $1`, [`target:${volumeId}`]);
  const migrationRow = async (id: string) => (await ds.query(`SELECT status, mode, dest_volume_id, error FROM volume_migrations WHERE id = $1`, [id]))[0];

  it('when a migration waits for placement, then it is claimed with what the API recorded; once placed, it is claimed no more', async () => {
    const m = await accepted();
    const claim = await ds.transaction((em) => claimPlacement(em, m, true));
    expect(claim).toMatchObject({ volume: { id: m.volumeId, host: HOST_A }, requestedDest: HOST_B, forceHostCopy: false });

    const dest = await place(ds, m);
    expect(await migrationRow(m.migrationId)).toMatchObject({ status: 'starting', mode: 'host-assisted', dest_volume_id: dest });
    expect(await ds.transaction((em) => claimPlacement(em, m, false))).toBeNull();
    expect(await place(ds, m)).toBeNull();
    expect(await destinationsOf(m.volumeId)).toHaveLength(1);
  });

  it('when a placement is under way, then a sweep leaves it, and after that scheduler dies mid-placement the next claim places it once, with no destination left behind', async () => {
    const m = await accepted();
    const runner = ds.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    // The first scheduler: claimed, destination reserved, not committed.
    const claim = await claimPlacement(runner.manager, m, true);
    await reserveDestination(runner.manager, claim!.volume, { poolHost: HOST_B, availabilityZone: 'nova' });

    expect(await place(ds, m, false)).toBeNull();
    expect((await unplacedMigrations(ds.manager)).map((u) => u.migrationId)).toContain(m.migrationId);

    // Its connection ends without a commit, as when the process is killed.
    await runner.rollbackTransaction();
    await runner.release();
    expect(await destinationsOf(m.volumeId)).toEqual([]);

    const dest = await place(ds, m, false);
    expect(dest).not.toBeNull();
    expect(await destinationsOf(m.volumeId)).toEqual([{ id: dest, status: 'creating' }]);
    expect((await unplacedMigrations(ds.manager)).map((u) => u.migrationId)).not.toContain(m.migrationId);
  });

  it('when the volume left the migration (reset), then the claim is refused and the migration ends in error, once', async () => {
    const m = await accepted();
    await ds.query(`UPDATE volumes SET migration_status = 'error' WHERE id = $1`, [m.volumeId]);
    await expect(ds.transaction((em) => claimPlacement(em, m, false))).rejects.toMatchObject({ code: ErrorCode.InvalidVolume });
    expect(await endUnplacedMigration(ds.manager, { ...m, error: 'Volume is not waiting for a migration' })).toBe(true);
    expect(await migrationRow(m.migrationId)).toMatchObject({ status: 'error', error: 'Volume is not waiting for a migration' });
    expect(await endUnplacedMigration(ds.manager, { ...m, error: 'again' })).toBe(false);
  });

  it('when another scheduler placed the migration meanwhile, then a failed placement does not end it', async () => {
    const m = await accepted();
    await place(ds, m);
    expect(await endUnplacedMigration(ds.manager, { ...m, error: 'No valid backend was found.' })).toBe(false);
    expect(await migrationRow(m.migrationId)).toMatchObject({ status: 'starting', mode: 'host-assisted' });
  });

  it('when a placed migration is not taken by its host, then it is listed once old enough, and abandoning it drops its destination and ends it', async () => {
    const m = await accepted();
    const dest = (await place(ds, m)) as string;
    expect((await untakenMigrations(ds.manager, 60)).map((u) => u.migrationId)).not.toContain(m.migrationId);
    await ds.query(`UPDATE volume_migrations SET updated_at = now() - interval '2 minutes' WHERE id = $1`, [m.migrationId]);
    expect((await untakenMigrations(ds.manager, 60)).find((u) => u.migrationId === m.migrationId)).toEqual({
      ...m,
      sourceHost: HOST_A,
      destPoolHost: HOST_B,
      mode: 'host-assisted',
      destVolumeId: dest,
    });

    expect(await abandonUntakenMigration(ds.manager, { ...m, destVolumeId: dest, error: 'source host unavailable' })).toBe(true);
    expect(await destinationsOf(m.volumeId)).toEqual([]);
    expect(await volumeRow(ds, m.volumeId)).toMatchObject({ migration_status: 'error' });
    expect(await migrationRow(m.migrationId)).toMatchObject({ status: 'error', error: 'source host unavailable' });
  });

  it('when the host took the migration after all, then abandoning it changes nothing', async () => {
    const m = await accepted();
    const dest = (await place(ds, m)) as string;
    await ds.query(`UPDATE volume_migrations SET status = 'migrating' WHERE id = $1`, [m.migrationId]);
    await ds.query(`UPDATE volumes SET migration_status = 'migrating' WHERE id = $1`, [m.volumeId]);
    expect(await abandonUntakenMigration(ds.manager, { ...m, destVolumeId: dest, error: 'late' })).toBe(false);
    expect(await destinationsOf(m.volumeId)).toHaveLength(1);
    expect(await volumeRow(ds, m.volumeId)).toMatchObject({ migration_status: 'migrating' });
  });
});
