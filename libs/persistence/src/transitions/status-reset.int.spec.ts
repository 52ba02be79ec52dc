import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ErrorCode } from '@volume/domain';
import { openTransitionsDb, seedAttachment, seedMigration, seedVolume, TransitionsDb, volumeRow } from '../../test/transition-fixtures';
import { resetVolumeStatus } from './status-reset';

describe('os-reset_status transition (real PostgreSQL)', () => {
  let db: TransitionsDb;
  let ds: DataSource;

  beforeAll(async () => {
    db = await openTransitionsDb('reset');
    ds = db.ds;
  });

  afterAll(async () => {
    await db?.close();
  });

  const migrationOf = async (id: string) => (await ds.query(`SELECT status, error FROM volume_migrations WHERE id = $1`, [id]))[0];
  const attachmentCount = async (volumeId: string) =>
    Number((await ds.query(`SELECT count(*) AS n FROM volume_attachments WHERE volume_id = $1`, [volumeId]))[0].n);

  it('when told a status, then it sets exactly that and nothing else', async () => {
    const id = await seedVolume(ds, { status: 'error', migrationStatus: 'success' });
    await resetVolumeStatus(ds.manager, id, { status: 'available' });
    expect(await volumeRow(ds, id)).toMatchObject({ status: 'available', attach_status: 'detached', migration_status: 'success' });
  });

  it('when told detached, then the attachments go', async () => {
    const id = await seedVolume(ds, { status: 'in-use', attachStatus: 'attached' });
    await seedAttachment(ds, id);
    await resetVolumeStatus(ds.manager, id, { status: 'available', attachStatus: 'detached' });
    expect(await volumeRow(ds, id)).toMatchObject({ status: 'available', attach_status: 'detached' });
    expect(await attachmentCount(id)).toBe(0);
  });

  it('when in-use is asked without attachments, then it is refused and nothing is written', async () => {
    const id = await seedVolume(ds, { status: 'error' });
    await expect(resetVolumeStatus(ds.manager, id, { status: 'in-use' })).rejects.toMatchObject({
      code: ErrorCode.BadRequest,
      message: 'Cannot reset-state to in-use because volume does not have any attachments.',
    });
    expect((await volumeRow(ds, id))?.status).toBe('error');
  });

  it('when in-use is asked with an attachment, then it is set', async () => {
    const id = await seedVolume(ds, { status: 'error' });
    await seedAttachment(ds, id);
    await resetVolumeStatus(ds.manager, id, { status: 'in-use' });
    expect((await volumeRow(ds, id))?.status).toBe('in-use');
  });

  it('when the migration status is reset to none, then the progress clears and the migration under way ends in error', async () => {
    const id = await seedVolume(ds, { migrationStatus: 'migrating' });
    await ds.query(`UPDATE volumes SET migration_progress = '40' WHERE id = $1`, [id]);
    const running = await seedMigration(ds, id, { status: 'migrating', mode: 'host-assisted' });
    await resetVolumeStatus(ds.manager, id, { migrationStatus: null });
    expect(await volumeRow(ds, id)).toMatchObject({ migration_status: null, migration_progress: null });
    expect(await migrationOf(running)).toEqual({ status: 'error', error: 'reset by an admin (os-reset_status)' });
  });

  it('when the migration status is reset to migrating, then the migration under way goes on', async () => {
    const id = await seedVolume(ds, { migrationStatus: 'error' });
    const running = await seedMigration(ds, id, { status: 'migrating', mode: 'host-assisted' });
    await resetVolumeStatus(ds.manager, id, { migrationStatus: 'migrating' });
    expect((await volumeRow(ds, id))?.migration_status).toBe('migrating');
    expect((await migrationOf(running)).status).toBe('migrating');
  });

  it('when the volume is gone, then it is not found', async () => {
    await expect(resetVolumeStatus(ds.manager, randomUUID(), { status: 'available' })).rejects.toMatchObject({ code: ErrorCode.NotFound });
  });
});
