import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ErrorCode, quotaDefaults } from '@volume/domain';
import { HOST_A, HOST_B, openTransitionsDb, raceAgainstOpenTransaction, seedVolume, TransitionsDb, volumeRow } from '../../test/transition-fixtures';
import { reserveAttachment } from './attachment-transitions';
import { VolumeEntity } from '../entities/volume.entity';
import {
  createVolumeRecord,
  createVolumeRecords,
  failStaleCreates,
  lockUnplacedVolume,
  markCreateFailed,
  recordVolumePlacement,
  requestVolumeDelete,
  updateVolumeProperties,
} from './volume-lifecycle';

describe('volume lifecycle transitions (real PostgreSQL)', () => {
  let db: TransitionsDb;
  let ds: DataSource;

  beforeAll(async () => {
    db = await openTransitionsDb('lifecycle');
    ds = db.ds;
  });

  afterAll(async () => {
    await db?.close();
  });

  const metadataOf = async (id: string) =>
    Object.fromEntries(
      (await ds.query(`SELECT key, value FROM volume_metadata WHERE volume_id = $1`, [id])).map((r: { key: string; value: string }) => [r.key, r.value]),
    );

  describe('create and placement', () => {
    it('when the API accepts a volume, then its row is creating on no host, with its metadata', async () => {
      const id = randomUUID();
      const [{ id: typeId }] = await ds.query(`SELECT id FROM volume_types LIMIT 1`);
      await createVolumeRecord(ds.manager, {
        id,
        projectId: 'p1',
        userId: 'u1',
        displayName: 'v',
        displayDescription: null,
        size: 2,
        availabilityZone: 'nova',
        volumeTypeId: typeId,
        metadata: { a: '1', b: '2' },
      }, quotaDefaults({ volumes: 10, gigabytes: 1000, perVolumeGigabytes: -1 }));
      expect(await volumeRow(ds, id)).toMatchObject({ status: 'creating', host: null, attach_status: 'detached', display_name: 'v' });
      expect(await metadataOf(id)).toEqual({ a: '1', b: '2' });
    });

    it('when volumes are accepted together, then each answer is its row as the database holds it, column for column, with its metadata', async () => {
      const [{ id: typeId }] = await ds.query(`SELECT id FROM volume_types LIMIT 1`);
      const input = (metadata: Record<string, string>, name: string | null) => ({
        id: randomUUID(),
        projectId: 'p-batch',
        userId: 'u1',
        displayName: name,
        displayDescription: name && `about ${name}`,
        size: 3,
        availabilityZone: 'nova',
        volumeTypeId: typeId,
        metadata,
      });
      const created = await createVolumeRecords(ds.manager, [input({ a: '1', b: '2' }, 'x'), input({}, null)], quotaDefaults({ volumes: -1, gigabytes: -1, perVolumeGigabytes: -1 }));
      for (const volume of created as VolumeEntity[]) {
        const row = await ds.getRepository(VolumeEntity).findOne({ where: { id: volume.id }, relations: { metadata: true, attachments: true } });
        row?.metadata?.sort((x, y) => x.id - y.id);
        expect(volume).toEqual(row);
      }
    });

    it('when a create fails, then only a volume still creating goes to error', async () => {
      const creating = await seedVolume(ds, { status: 'creating', host: null });
      const available = await seedVolume(ds);
      await markCreateFailed(ds.manager, creating);
      await markCreateFailed(ds.manager, available);
      expect((await volumeRow(ds, creating))?.status).toBe('error');
      expect((await volumeRow(ds, available))?.status).toBe('available');
    });

    it('when the scheduler places a volume, then only an unplaced creating one is locked, and its host is recorded once', async () => {
      const unplaced = await seedVolume(ds, { status: 'creating', host: null });
      const placed = await seedVolume(ds, { status: 'creating', host: HOST_A });
      const failed = await seedVolume(ds, { status: 'error', host: null });
      await ds.transaction(async (em) => {
        expect((await lockUnplacedVolume(em, unplaced))?.id).toBe(unplaced);
        expect(await lockUnplacedVolume(em, placed)).toBeNull();
        expect(await lockUnplacedVolume(em, failed)).toBeNull();
        expect(await lockUnplacedVolume(em, randomUUID())).toBeNull();
        await recordVolumePlacement(em, unplaced, HOST_B);
        await recordVolumePlacement(em, placed, HOST_B);
      });
      expect((await volumeRow(ds, unplaced))?.host).toBe(HOST_B);
      expect((await volumeRow(ds, placed))?.host).toBe(HOST_A);
    });

    it('when stale creates are failed, then only old unplaced creating volumes go to error', async () => {
      const old = new Date(Date.now() - 600_000);
      const stale = await seedVolume(ds, { status: 'creating', host: null, createdAt: old });
      const fresh = await seedVolume(ds, { status: 'creating', host: null });
      const placed = await seedVolume(ds, { status: 'creating', host: HOST_A, createdAt: old });
      const ids = await failStaleCreates(ds.manager, 300);
      expect(ids).toContain(stale);
      expect(ids).not.toContain(fresh);
      expect(ids).not.toContain(placed);
      expect((await volumeRow(ds, stale))?.status).toBe('error');
      expect((await volumeRow(ds, fresh))?.status).toBe('creating');
    });
  });

  describe('update', () => {
    it('when fields are given, then they are written, the others kept, and metadata replaced whole', async () => {
      const id = await seedVolume(ds);
      await updateVolumeProperties(ds.manager, id, { displayName: 'n1', displayDescription: 'd1', metadata: { a: '1' } });
      await updateVolumeProperties(ds.manager, id, { displayName: 'n2', metadata: { b: '2' } });
      expect(await volumeRow(ds, id)).toMatchObject({ display_name: 'n2', display_description: 'd1' });
      expect(await metadataOf(id)).toEqual({ b: '2' });
    });

    it('when the volume is in maintenance, then the update is refused and nothing is written', async () => {
      const id = await seedVolume(ds, { status: 'maintenance' });
      await expect(updateVolumeProperties(ds.manager, id, { displayName: 'x', metadata: { a: '1' } })).rejects.toMatchObject({
        code: ErrorCode.InvalidVolume,
        message: 'Invalid volume: The volume cannot be updated during maintenance.',
      });
      expect((await volumeRow(ds, id))?.display_name).toBeNull();
      expect(await metadataOf(id)).toEqual({});
    });

    it('when the volume is gone, then it is not found', async () => {
      await expect(updateVolumeProperties(ds.manager, randomUUID(), { displayName: 'x' })).rejects.toMatchObject({ code: ErrorCode.NotFound });
    });
  });

  describe('delete', () => {
    const refused = { code: ErrorCode.InvalidVolume, message: expect.stringMatching(/^Invalid volume: Volume status must be available or error/) };

    it('when an available volume is deleted, then it is deleting, remembers its status, and its host is returned', async () => {
      const id = await seedVolume(ds);
      expect(await requestVolumeDelete(ds.manager, id)).toEqual({ destroyed: false, host: HOST_A });
      expect(await volumeRow(ds, id)).toMatchObject({ status: 'deleting', previous_status: 'available' });
    });

    it('when a volume was never placed, then its row goes at once, metadata and all', async () => {
      const id = await seedVolume(ds, { status: 'error', host: null });
      await ds.query(`INSERT INTO volume_metadata (volume_id, key, value) VALUES ($1, 'k', 'v')`, [id]);
      expect(await requestVolumeDelete(ds.manager, id)).toEqual({ destroyed: true });
      expect(await volumeRow(ds, id)).toBeUndefined();
      expect(await metadataOf(id)).toEqual({});
    });

    it.each([
      ['attached', { status: 'available', attachStatus: 'attached' }],
      ['in use', { status: 'in-use', attachStatus: 'attached' }],
      ['migrating', { migrationStatus: 'migrating' }],
      ["a migration's destination", { migrationStatus: `target:${randomUUID()}` }],
      ['deleting already', { status: 'deleting' }],
    ])('when the volume is %s, then the delete is refused and the row is unchanged', async (_what, seed) => {
      const id = await seedVolume(ds, seed);
      const before = await volumeRow(ds, id);
      await expect(requestVolumeDelete(ds.manager, id)).rejects.toMatchObject(refused);
      expect(await volumeRow(ds, id)).toEqual(before);
    });

    it('when an attach reserves the volume while a delete runs, then the delete, judged on the reserved volume, is refused', async () => {
      const id = await seedVolume(ds);
      const attachment = { id: randomUUID(), volumeId: id, instanceUuid: null, mode: 'rw' as const };
      const deleted = await raceAgainstOpenTransaction(
        ds,
        (em) => reserveAttachment(em, attachment),
        () => requestVolumeDelete(ds.manager, id),
      );
      expect(deleted).toEqual({ status: 'rejected', reason: expect.objectContaining(refused) });
      expect((await volumeRow(ds, id))?.status).toBe('reserved');
    });

    it('when two deletes race, then the first marks the volume and the second is refused', async () => {
      const id = await seedVolume(ds);
      const second = await raceAgainstOpenTransaction(
        ds,
        (em) => requestVolumeDelete(em, id),
        () => requestVolumeDelete(ds.manager, id),
      );
      expect(second).toEqual({ status: 'rejected', reason: expect.objectContaining(refused) });
      expect((await volumeRow(ds, id))?.status).toBe('deleting');
    });
  });
});
