import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { createTestDatabase, TestDatabase } from '@volume/testing';
import { createDataSource } from '../data-source';
import { VolumeMigrationEntity } from '../entities/volume-migration.entity';
import { VolumeEntity } from '../entities/volume.entity';
import { endMigrationWithError, markDestinationDeleting } from './migration-failure';
import { finishVolumeMigration } from './migration-finish';
import { markMigrating, recordCopyProgress, recordSwapProgress } from './migration-progress';
import { lockMigrationSource, reserveDestination } from './migration-destination';
import { destroyBackendDeleted, markBackendsCreated } from './volume-backend';

describe('migration transitions (real PostgreSQL)', () => {
  let db: TestDatabase;
  let ds: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase('transitions');
    ds = createDataSource({ url: db.url, poolSize: 2 });
    await ds.initialize();
  });

  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  interface Seed {
    status?: string;
    previous?: string | null;
    migration?: string | null;
    host?: string;
    progress?: string | null;
  }

  async function volume(s: Seed = {}): Promise<string> {
    const id = randomUUID();
    await ds.query(
      `INSERT INTO volumes (id, project_id, user_id, size, status, previous_status, migration_status, migration_progress, host,
                            provider_location, availability_zone, volume_type_id, created_at)
       VALUES ($1, 'p', 'u', 1, $2, $3, $4, $5, $6, $7, 'nova', (SELECT id FROM volume_types LIMIT 1), now())`,
      [id, s.status ?? 'available', s.previous ?? null, s.migration ?? null, s.progress ?? null, s.host ?? 'host-a@file#pool1', `/data/${id}`],
    );
    return id;
  }

  async function migration(volumeId: string, destVolumeId: string | null, status = 'migrating'): Promise<string> {
    const id = randomUUID();
    await ds.query(
      `INSERT INTO volume_migrations (id, volume_id, dest_volume_id, source_host, dest_host, mode, status, bytes_total, started_at, updated_at)
       VALUES ($1, $2, $3, 'host-a@file#pool1', 'host-b@file#pool1', 'host-assisted', $4, 1000, now(), now() - interval '1 hour')`,
      [id, volumeId, destVolumeId, status],
    );
    return id;
  }

  async function attachment(volumeId: string, attachStatus = 'attached'): Promise<string> {
    const id = randomUUID();
    await ds.query(
      `INSERT INTO volume_attachments (id, volume_id, project_id, instance_uuid, attach_status, created_at)
       VALUES ($1, $2, 'p', $3, $4, now())`,
      [id, volumeId, randomUUID(), attachStatus],
    );
    return id;
  }

  const row = (id: string) => ds.getRepository(VolumeEntity).findOneByOrFail({ id });
  const run = (id: string) => ds.getRepository(VolumeMigrationEntity).findOneByOrFail({ id });

  /** A migrating in-use volume, its destination (with the compute side's new attachment) and the migration's row. */
  async function swapPair() {
    const src = await volume({ status: 'in-use', previous: 'in-use', migration: 'migrating', progress: '99' });
    const dst = await volume({ migration: `target:${src}`, host: 'host-b@file#pool2' });
    const oldAttachment = await attachment(src, 'detached');
    const newAttachment = await attachment(dst);
    const migrationId = await migration(src, dst);
    return { src, dst, oldAttachment, newAttachment, migrationId };
  }

  describe('finishVolumeMigration (the rows swap)', () => {
    it('when the destination is the volume’s, then the volume takes the new data and its attachments, and the old data is left deleting', async () => {
      const p = await swapPair();
      expect(await finishVolumeMigration(ds.manager, p.src, p.dst)).toBe(p.dst);
      const src = await row(p.src);
      expect(src).toMatchObject({
        host: 'host-b@file#pool2',
        nameId: p.dst,
        providerLocation: `/data/${p.dst}`,
        status: 'in-use',
        attachStatus: 'attached',
        migrationStatus: 'success',
        migrationProgress: null,
      });
      expect(await row(p.dst)).toMatchObject({
        host: 'host-a@file#pool1',
        nameId: p.src,
        providerLocation: `/data/${p.src}`,
        status: 'deleting',
        attachStatus: 'detached',
        migrationStatus: 'deleting',
        displayDescription: `migration src for ${p.src}`,
      });
      const attachments = await ds.query(`SELECT id FROM volume_attachments WHERE volume_id = $1 ORDER BY id`, [p.src]);
      expect(attachments.map((a: { id: string }) => a.id).sort()).toEqual([p.oldAttachment, p.newAttachment].sort());
      expect(await run(p.migrationId)).toMatchObject({ status: 'success', bytesDone: 1000 });
    });

    it('when a locked volume without previous status finishes, then it is available again', async () => {
      const src = await volume({ status: 'maintenance', migration: 'migrating' });
      const dst = await volume({ migration: `target:${src}` });
      await finishVolumeMigration(ds.manager, src, dst);
      expect(await row(src)).toMatchObject({ status: 'available', attachStatus: 'detached', migrationStatus: 'success' });
    });

    it.each([
      ['the volume is not migrating', { migration: 'error' }, 'Invalid volume: Source volume not mid-migration.'],
      ['the other row is no migration destination', { destMigration: null }, 'Invalid volume: Destination volume not mid-migration.'],
      ['the other row is another volume’s destination', { destMigration: 'target:other' }, 'Invalid volume: Destination has migration_status target:other, expected target:'],
    ])('when %s, then it refuses with Cinder’s text and changes nothing', async (_, s: { migration?: string; destMigration?: string | null }, text) => {
      const p = await swapPair();
      if (s.migration) await ds.query(`UPDATE volumes SET migration_status = $2 WHERE id = $1`, [p.src, s.migration]);
      if (s.destMigration !== undefined) await ds.query(`UPDATE volumes SET migration_status = $2 WHERE id = $1`, [p.dst, s.destMigration]);
      const before = [await row(p.src), await row(p.dst)];
      await expect(finishVolumeMigration(ds.manager, p.src, p.dst)).rejects.toMatchObject({ code: 'VOLUME.INVALID_STATE', message: expect.stringContaining(text) });
      expect([await row(p.src), await row(p.dst)]).toEqual(before);
      expect((await ds.query(`SELECT volume_id FROM volume_attachments WHERE id = $1`, [p.newAttachment]))[0].volume_id).toBe(p.dst);
      expect((await run(p.migrationId)).status).toBe('migrating');
    });

    it('when either row is gone, then it answers Cinder’s not found', async () => {
      const src = await volume({ migration: 'migrating' });
      const missing = randomUUID();
      await expect(finishVolumeMigration(ds.manager, src, missing)).rejects.toMatchObject({ message: `Volume ${missing} could not be found.` });
    });
  });

  describe('progress', () => {
    it('when the volume is migrating, then the copy’s percent, the bytes it was taken from and the (trailing) checkpoint are recorded', async () => {
      const src = await volume({ migration: 'migrating' });
      const migrationId = await migration(src, null);
      expect(await recordCopyProgress(ds.manager, { migrationId, volumeId: src, percent: '42', processedBytes: 430, bytesDone: 420 })).toBe(true);
      expect((await row(src)).migrationProgress).toBe('42');
      expect(await run(migrationId)).toMatchObject({ bytesDone: 420, progress: 42, processedBytes: 430 });
    });

    it('when the volume left migrating (an admin reset it), then nothing is written and the copy is told to stop', async () => {
      const src = await volume({ migration: 'error', progress: null });
      const migrationId = await migration(src, null, 'error');
      expect(await recordCopyProgress(ds.manager, { migrationId, volumeId: src, percent: '42', processedBytes: 430, bytesDone: 420 })).toBe(false);
      expect((await row(src)).migrationProgress).toBeNull();
      expect(await run(migrationId)).toMatchObject({ bytesDone: 0, progress: null, processedBytes: null });
    });

    it('when a swap reports but its migration ended, then neither the volume nor the migration’s counters change', async () => {
      const src = await volume({ status: 'in-use', migration: 'error' });
      const migrationId = await migration(src, null, 'error');
      const before = await run(migrationId);
      await recordSwapProgress(ds.manager, { migrationId, volumeId: src, percent: '30', bytesDone: 300, bytesTotal: 900 });
      expect((await row(src)).migrationProgress).toBeNull();
      expect(await run(migrationId)).toEqual(before);
    });

    it('when a swap reports while migrating, then the percent and the mirror’s counters are recorded', async () => {
      const src = await volume({ status: 'in-use', migration: 'migrating' });
      const migrationId = await migration(src, null);
      await recordSwapProgress(ds.manager, { migrationId, volumeId: src, percent: '30', bytesDone: 300, bytesTotal: 900 });
      expect((await row(src)).migrationProgress).toBe('30');
      expect(await run(migrationId)).toMatchObject({ bytesDone: 300, bytesTotal: 900, progress: 30, processedBytes: 300 });
      // A report without a percent keeps the one shown (a swap's ratchets), with the mirror's new counters.
      await recordSwapProgress(ds.manager, { migrationId, volumeId: src, percent: null, bytesDone: 330, bytesTotal: 1000 });
      expect(await run(migrationId)).toMatchObject({ progress: 30, processedBytes: 330, bytesTotal: 1000 });
    });

    it('when the source host takes a placed migration, then volume and migration are migrating; a reset volume is not taken', async () => {
      const placed = await volume({ migration: 'starting' });
      const placedRun = await migration(placed, null, 'starting');
      expect(await markMigrating(ds.manager, { migrationId: placedRun, volumeId: placed })).toBe(true);
      expect((await row(placed)).migrationStatus).toBe('migrating');
      expect((await run(placedRun)).status).toBe('migrating');

      const reset = await volume({ migration: null });
      const resetRun = await migration(reset, null, 'starting');
      expect(await markMigrating(ds.manager, { migrationId: resetRun, volumeId: reset })).toBe(false);
      expect((await row(reset)).migrationStatus).toBeNull();
      expect((await run(resetRun)).status).toBe('starting');
    });
  });

  describe('failure', () => {
    it('when a locked migration fails, then the volume gets its previous status back and keeps its host', async () => {
      const src = await volume({ status: 'maintenance', previous: 'available', migration: 'migrating', progress: '50' });
      const migrationId = await migration(src, null);
      await endMigrationWithError(ds.manager, { migrationId, volumeId: src, error: 'disk on fire' });
      expect(await row(src)).toMatchObject({ status: 'available', migrationStatus: 'error', migrationProgress: null, host: 'host-a@file#pool1' });
      expect(await run(migrationId)).toMatchObject({ status: 'error', error: 'disk on fire' });
    });

    it('when an in-use volume’s migration fails, then it stays in-use', async () => {
      const src = await volume({ status: 'in-use', previous: 'in-use', migration: 'migrating' });
      await endMigrationWithError(ds.manager, { migrationId: null, volumeId: src, error: 'x' });
      expect(await row(src)).toMatchObject({ status: 'in-use', migrationStatus: 'error' });
    });

    it('when the migration already ended, then a late failure changes neither the volume nor its row', async () => {
      const src = await volume({ migration: 'success' });
      const migrationId = await migration(src, null, 'success');
      await endMigrationWithError(ds.manager, { migrationId, volumeId: src, error: 'late' });
      expect((await row(src)).migrationStatus).toBe('success');
      expect(await run(migrationId)).toMatchObject({ status: 'success', error: null });
    });

    it('when an ended migration fails late while the next one of the volume runs, then the next one and the volume are left alone', async () => {
      const src = await volume({ migration: 'migrating', progress: '10' });
      const old = await migration(src, null, 'error');
      const next = await migration(src, null, 'migrating');
      await endMigrationWithError(ds.manager, { migrationId: old, volumeId: src, error: 'late' });
      expect(await row(src)).toMatchObject({ migrationStatus: 'migrating', migrationProgress: '10' });
      expect((await run(next)).status).toBe('migrating');
    });

    it('when the destination is still the volume’s target, then it is marked deleting; after the swap it is not', async () => {
      const src = await volume({ migration: 'migrating' });
      const dst = await volume({ migration: `target:${src}` });
      expect(await markDestinationDeleting(ds.manager, { volumeId: src, destVolumeId: dst })).toBe(true);
      expect((await row(dst)).status).toBe('deleting');

      const swapped = await swapPair();
      await finishVolumeMigration(ds.manager, swapped.src, swapped.dst);
      await ds.query(`UPDATE volumes SET status = 'available' WHERE id = $1`, [swapped.dst]);
      expect(await markDestinationDeleting(ds.manager, { volumeId: swapped.src, destVolumeId: swapped.dst })).toBe(false);
      expect((await row(swapped.dst)).status).toBe('available');
      // Another volume's destination is never this one's to delete.
      const other = await volume({ migration: `target:${randomUUID()}` });
      expect(await markDestinationDeleting(ds.manager, { volumeId: src, destVolumeId: other })).toBe(false);
    });
  });

  describe('placement and backend outcomes', () => {
    it('when the volume waits for a placement, then its destination is reserved as its target; otherwise placement is refused', async () => {
      const src = await volume({ migration: 'starting' });
      const destId = await ds.transaction(async (em) => reserveDestination(em, await lockMigrationSource(em, src), { poolHost: 'host-b@file#pool2', availabilityZone: 'az2' }));
      expect(await row(destId)).toMatchObject({
        status: 'creating',
        migrationStatus: `target:${src}`,
        host: 'host-b@file#pool2',
        availabilityZone: 'az2',
        useQuota: false,
      });
      const reset = await volume({ migration: 'error' });
      await expect(ds.transaction((em) => lockMigrationSource(em, reset))).rejects.toMatchObject({
        message: `Volume ${reset} is not waiting for a migration`,
      });
    });

    it('when a host records a batch of files made, then only its creating rows become available, each at its file and pointing at the host’s service', async () => {
      const serviceUuid = randomUUID();
      await ds.query(
        `INSERT INTO services (uuid, host, "binary", topic, availability_zone, created_at) VALUES ($1, 'batch-host@file', 'cinder-volume', 'cinder-volume', 'nova', now())`,
        [serviceUuid],
      );
      const [a, b, deleting] = [await volume({ status: 'creating' }), await volume({ status: 'creating' }), await volume({ status: 'deleting' })];
      const untouched = await row(deleting);
      const made = await markBackendsCreated(ds.manager, 'batch-host@file', [
        { volumeId: a, providerLocation: '/pool/a' },
        { volumeId: deleting, providerLocation: '/pool/d' },
        { volumeId: b, providerLocation: '/pool/b' },
      ]);
      expect([...made].sort()).toEqual([a, b].sort());
      expect(await row(a)).toMatchObject({ status: 'available', providerLocation: '/pool/a', sharedTargets: false, serviceUuid });
      expect(await row(b)).toMatchObject({ status: 'available', providerLocation: '/pool/b', serviceUuid });
      expect(await row(deleting)).toEqual(untouched);
    });

    it('when the file is gone, then only a deleting row goes', async () => {
      const deleting = await volume({ status: 'deleting' });
      const available = await volume();
      expect(await destroyBackendDeleted(ds.manager, deleting)).toBe(true);
      expect(await destroyBackendDeleted(ds.manager, available)).toBe(false);
      expect(await ds.getRepository(VolumeEntity).countBy({ id: deleting })).toBe(0);
      expect(await ds.getRepository(VolumeEntity).countBy({ id: available })).toBe(1);
    });
  });
});
