import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ErrorCode } from '@volume/domain';
import { openTransitionsDb, raceAgainstOpenTransaction, seedAttachment, seedVolume, TransitionsDb, volumeRow } from '../../test/transition-fixtures';
import {
  beginDetaching,
  completeAttachment,
  connectAttachment,
  deleteAttachment,
  moveSwappedAttachments,
  NewAttachment,
  reserveAttachment,
  rollDetaching,
} from './attachment-transitions';

describe('attachment transitions (real PostgreSQL)', () => {
  let db: TransitionsDb;
  let ds: DataSource;

  beforeAll(async () => {
    db = await openTransitionsDb('attach');
    ds = db.ds;
  });

  afterAll(async () => {
    await db?.close();
  });

  const attachment = (volumeId: string): NewAttachment => ({ id: randomUUID(), volumeId, instanceUuid: randomUUID(), mode: 'rw' });
  const attachmentsOf = (volumeId: string) =>
    ds.query(`SELECT id, attach_status FROM volume_attachments WHERE volume_id = $1 ORDER BY created_at`, [volumeId]);

  describe('reserve', () => {
    it('when a volume is available, then it is reserved and the attachment row made', async () => {
      const id = await seedVolume(ds);
      const a = attachment(id);
      await reserveAttachment(ds.manager, a);
      expect((await volumeRow(ds, id))?.status).toBe('reserved');
      expect(await attachmentsOf(id)).toEqual([{ id: a.id, attach_status: 'reserved' }]);
    });

    it.each([
      ['in use (single attach)', { status: 'in-use', attachStatus: 'attached' }],
      ['migrating', { migrationStatus: 'migrating' }],
      ['deleting', { status: 'deleting' }],
    ])('when the volume is %s, then the reserve is refused and nothing is written', async (_what, seed) => {
      const id = await seedVolume(ds, seed);
      const before = await volumeRow(ds, id);
      await expect(reserveAttachment(ds.manager, attachment(id))).rejects.toMatchObject({
        code: ErrorCode.InvalidVolume,
        message: `Invalid volume: Volume ${id} status must be available or downloading`,
      });
      expect(await volumeRow(ds, id)).toEqual(before);
      expect(await attachmentsOf(id)).toEqual([]);
    });

    it("when the volume is a migration's destination or a multiattach one in use, then it is reserved", async () => {
      const target = await seedVolume(ds, { migrationStatus: `target:${randomUUID()}` });
      const shared = await seedVolume(ds, { status: 'in-use', attachStatus: 'attached', multiattach: true });
      await reserveAttachment(ds.manager, attachment(target));
      await reserveAttachment(ds.manager, attachment(shared));
      expect((await volumeRow(ds, target))?.status).toBe('reserved');
      expect((await volumeRow(ds, shared))?.status).toBe('reserved');
    });

    it('when two attachments race for a single-attach volume, then the first reserves it and the second is refused', async () => {
      const id = await seedVolume(ds);
      const second = await raceAgainstOpenTransaction(
        ds,
        (em) => reserveAttachment(em, attachment(id)),
        () => reserveAttachment(ds.manager, attachment(id)),
      );
      expect(second).toEqual({ status: 'rejected', reason: expect.objectContaining({ code: ErrorCode.InvalidVolume }) });
      expect(await attachmentsOf(id)).toHaveLength(1);
    });
  });

  describe('connect and complete', () => {
    it('when connected, then the attachment and a reserved volume are attaching; when completed, in use and attached', async () => {
      const id = await seedVolume(ds);
      const a = attachment(id);
      await reserveAttachment(ds.manager, a);
      const connection = { attachmentId: a.id, volumeId: id, connector: { host: 'c1' }, connectionInfo: { path: '/x' }, mode: 'ro', attachedHost: 'c1', mountpoint: '/dev/vdb' };
      await connectAttachment(ds.manager, connection);
      expect((await volumeRow(ds, id))?.status).toBe('attaching');
      const [row] = await ds.query(`SELECT attach_status, attach_mode, attached_host, connection_info FROM volume_attachments WHERE id = $1`, [a.id]);
      expect(row).toEqual({ attach_status: 'attaching', attach_mode: 'ro', attached_host: 'c1', connection_info: { path: '/x' } });
      await completeAttachment(ds.manager, { attachmentId: a.id, volumeId: id });
      expect(await volumeRow(ds, id)).toMatchObject({ status: 'in-use', attach_status: 'attached' });
      expect(await attachmentsOf(id)).toEqual([{ id: a.id, attach_status: 'attached' }]);
    });

    it('when a volume no longer reserved is connected, then its status stays', async () => {
      const id = await seedVolume(ds, { status: 'in-use', attachStatus: 'attached' });
      const attachmentId = await seedAttachment(ds, id, 'reserved');
      await connectAttachment(ds.manager, { attachmentId, volumeId: id, connector: {}, connectionInfo: {}, mode: 'rw', attachedHost: null, mountpoint: null });
      expect((await volumeRow(ds, id))?.status).toBe('in-use');
    });
  });

  describe('delete', () => {
    it('when the last attachment goes, then the volume is available and detached', async () => {
      const id = await seedVolume(ds, { status: 'in-use', attachStatus: 'attached' });
      const a = await seedAttachment(ds, id);
      expect(await deleteAttachment(ds.manager, { attachmentId: a, volumeId: id })).toEqual([]);
      expect(await volumeRow(ds, id)).toMatchObject({ status: 'available', attach_status: 'detached' });
    });

    it('when another attachment is still attached, then the volume stays in use and it is returned', async () => {
      const id = await seedVolume(ds, { status: 'in-use', attachStatus: 'attached', multiattach: true });
      const gone = await seedAttachment(ds, id);
      const kept = await seedAttachment(ds, id);
      expect((await deleteAttachment(ds.manager, { attachmentId: gone, volumeId: id })).map((r) => r.id)).toEqual([kept]);
      expect(await volumeRow(ds, id)).toMatchObject({ status: 'in-use', attach_status: 'attached' });
    });

    it.each(['migrating', 'deleting'])('when the last attachment goes while migration_status is %s, then the status stays in use', async (migrationStatus) => {
      const id = await seedVolume(ds, { status: 'in-use', attachStatus: 'attached', migrationStatus });
      const a = await seedAttachment(ds, id);
      await deleteAttachment(ds.manager, { attachmentId: a, volumeId: id });
      expect(await volumeRow(ds, id)).toMatchObject({ status: 'in-use', attach_status: 'detached' });
    });
  });

  describe('begin and roll detaching', () => {
    it('when an attached volume begins detaching, then it is detaching; rolled back, in use again', async () => {
      const id = await seedVolume(ds, { status: 'in-use', attachStatus: 'attached' });
      expect(await beginDetaching(ds.manager, id)).toBe(true);
      expect((await volumeRow(ds, id))?.status).toBe('detaching');
      await rollDetaching(ds.manager, id);
      expect((await volumeRow(ds, id))?.status).toBe('in-use');
    });

    it.each([
      ['migrating', { status: 'in-use', attachStatus: 'attached', migrationStatus: 'migrating' }],
      ['available', {}],
      ['in use but not attached', { status: 'in-use' }],
    ])('when the volume is %s, then nothing changes', async (_what, seed) => {
      const id = await seedVolume(ds, seed);
      const before = await volumeRow(ds, id);
      expect(await beginDetaching(ds.manager, id)).toBe(false);
      await rollDetaching(ds.manager, id);
      expect(await volumeRow(ds, id)).toEqual(before);
    });

    it('when a volume whose last migration ended begins detaching, then it is detaching', async () => {
      const id = await seedVolume(ds, { status: 'in-use', attachStatus: 'attached', migrationStatus: 'success' });
      expect(await beginDetaching(ds.manager, id)).toBe(true);
    });
  });

  describe("Nova's own swap", () => {
    it('when the old volume has attachments, then they move to the new one, which is in use, and the old one is available', async () => {
      const oldId = await seedVolume(ds, { status: 'in-use', attachStatus: 'attached' });
      const newId = await seedVolume(ds, { status: 'reserved' });
      const a = await seedAttachment(ds, oldId);
      expect(await moveSwappedAttachments(ds.manager, oldId, newId)).toBe(true);
      expect(await attachmentsOf(newId)).toEqual([{ id: a, attach_status: 'attached' }]);
      expect(await volumeRow(ds, oldId)).toMatchObject({ status: 'available', attach_status: 'detached' });
      expect(await volumeRow(ds, newId)).toMatchObject({ status: 'in-use', attach_status: 'attached' });
    });

    it('when the old volume has none (a retry after the move), then nothing changes', async () => {
      const oldId = await seedVolume(ds);
      const newId = await seedVolume(ds, { status: 'in-use', attachStatus: 'attached' });
      expect(await moveSwappedAttachments(ds.manager, oldId, newId)).toBe(false);
      expect((await volumeRow(ds, oldId))?.status).toBe('available');
      expect((await volumeRow(ds, newId))?.status).toBe('in-use');
    });
  });
});
