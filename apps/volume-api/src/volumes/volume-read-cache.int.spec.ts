import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import pino from 'pino';
import { DataSource } from 'typeorm';
import { createDataSource } from '@volume/persistence';
import { createTestDatabase, TestDatabase } from '@volume/testing';
import { VolumeReadCache } from './volume-read-cache';
import { VolumeReader } from './volume.reader';

// GET volume's read cache against a real PostgreSQL, as two API replicas: whatever process commits
// a change (here a connection of the test's own, as a worker or the scheduler would), the next read
// on either replica shows it, with no wait in between.

let db: TestDatabase;
let writer: Client;
const replicas: { ds: DataSource; cache: VolumeReadCache }[] = [];
let typeId: string;

async function startReplica(): Promise<{ ds: DataSource; cache: VolumeReadCache }> {
  const ds = await createDataSource({ url: db.url, poolSize: 2, connectTimeoutMs: 10_000 }).initialize();
  const cache = new VolumeReadCache(ds, { DATABASE_URL: db.url }, pino({ level: 'silent' }));
  await cache.onApplicationBootstrap();
  const replica = { ds, cache };
  replicas.push(replica);
  return replica;
}

async function newVolume(name = 'v'): Promise<string> {
  const id = randomUUID();
  await writer.query(
    `INSERT INTO volumes (id, project_id, user_id, size, status, availability_zone, volume_type_id, created_at, display_name)
     VALUES ($1, 'p1', 'u1', 1, 'available', 'nova', $2, now(), $3)`,
    [id, typeId, name],
  );
  return id;
}

const nameOf = async (cache: VolumeReadCache, id: string) => (await cache.read(id))?.displayName;

beforeAll(async () => {
  db = await createTestDatabase('volume_read_cache');
  writer = new Client({ connectionString: db.url });
  await writer.connect();
  [{ id: typeId }] = (await writer.query(`SELECT id FROM volume_types WHERE name = '__DEFAULT__'`)).rows;
}, 60_000);

afterEach(() => jest.restoreAllMocks());

afterAll(async () => {
  for (const { ds, cache } of replicas) {
    await cache.onModuleDestroy();
    await ds.destroy();
  }
  await writer?.end();
  await db?.drop();
});

describe('VolumeReadCache', () => {
  it('when a volume was read, then reading it again asks PostgreSQL nothing but the sync', async () => {
    const { cache } = await startReplica();
    const id = await newVolume('kept');
    const reads = jest.spyOn(VolumeReader.prototype, 'read');
    expect(await nameOf(cache, id)).toBe('kept');
    expect(await nameOf(cache, id)).toBe('kept');
    const again = await Promise.all(Array.from({ length: 20 }, () => cache.read(id)));
    expect(again.every((v) => v?.displayName === 'kept')).toBe(true);
    expect(reads).toHaveBeenCalledTimes(1);
  });

  it('when another process commits a change, then the next read on every replica shows it at once', async () => {
    const [a, b] = [await startReplica(), await startReplica()];
    const id = await newVolume('before');
    const other = await newVolume('other');
    for (const { cache } of [a, b]) {
      expect(await nameOf(cache, id)).toBe('before');
      expect(await nameOf(cache, other)).toBe('other');
    }
    const reads = jest.spyOn(VolumeReader.prototype, 'read');

    await writer.query(`UPDATE volumes SET display_name = 'after', status = 'in-use' WHERE id = $1`, [id]);
    for (const { cache } of [a, b]) expect(await cache.read(id)).toMatchObject({ displayName: 'after', status: 'in-use' });

    await writer.query(`INSERT INTO volume_metadata (volume_id, key, value) VALUES ($1, 'k', 'v1')`, [id]);
    for (const { cache } of [a, b]) expect((await cache.read(id))?.metadata?.map((m) => [m.key, m.value])).toEqual([['k', 'v1']]);

    await writer.query(
      `INSERT INTO volume_attachments (id, volume_id, project_id, attach_status, instance_uuid, created_at) VALUES ($1, $2, 'p1', 'attached', $3, now())`,
      [randomUUID(), id, randomUUID()],
    );
    for (const { cache } of [a, b]) expect((await cache.read(id))?.attachments).toHaveLength(1);

    await writer.query(`UPDATE volume_types SET name = 'renamed' WHERE id = $1`, [typeId]);
    for (const { cache } of [a, b]) expect((await cache.read(other))?.volumeType?.name).toBe('renamed');
    await writer.query(`UPDATE volume_types SET name = '__DEFAULT__' WHERE id = $1`, [typeId]);

    await writer.query(`DELETE FROM volumes WHERE id = $1`, [id]);
    for (const { cache } of [a, b]) expect(await cache.read(id)).toBeUndefined();
    // Only the volume that changed was read again, once per replica and change (the type's rename forgets all).
    expect(reads.mock.calls.filter(([read]) => read === other)).toHaveLength(2);
  });

  it('when one statement changes many volumes, then all of them are read again', async () => {
    const { cache } = await startReplica();
    const ids: string[] = [];
    for (let i = 0; i < 120; i++) ids.push(await newVolume('many'));
    for (const id of ids) expect(await nameOf(cache, id)).toBe('many');
    await writer.query(`UPDATE volumes SET display_name = 'changed' WHERE id = ANY($1)`, [ids]);
    for (const id of ids) expect(await nameOf(cache, id)).toBe('changed');
  });

  it('when a change commits while its volume is being read, then the older answer is not kept', async () => {
    const { cache } = await startReplica();
    const id = await newVolume('old');
    const read = VolumeReader.prototype.read;
    jest.spyOn(VolumeReader.prototype, 'read').mockImplementationOnce(async function (this: VolumeReader, volumeId: string) {
      const old = await read.call(this, volumeId);
      await writer.query(`UPDATE volumes SET display_name = 'new' WHERE id = $1`, [id]);
      // Let the announcement reach the replica before the older answer does.
      await new Promise((resolve) => setTimeout(resolve, 200));
      return old;
    });
    expect(await nameOf(cache, id)).toBe('old');
    expect(await nameOf(cache, id)).toBe('new');
  });

  it('when its LISTEN connection is cut, then reads go to PostgreSQL and the cache starts again empty', async () => {
    const { cache } = await startReplica();
    const id = await newVolume('first');
    expect(await nameOf(cache, id)).toBe('first');
    await writer.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'volume-api read cache'`);
    // A change no replica hears of: it commits while nobody listens.
    await writer.query(`UPDATE volumes SET display_name = 'unheard' WHERE id = $1`, [id]);
    const reads = jest.spyOn(VolumeReader.prototype, 'read');
    expect(await nameOf(cache, id)).toBe('unheard');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    // Listening again, it kept nothing from before the cut.
    expect(await nameOf(cache, id)).toBe('unheard');
    await writer.query(`UPDATE volumes SET display_name = 'while listening again' WHERE id = $1`, [id]);
    expect(await nameOf(cache, id)).toBe('while listening again');
    expect(await nameOf(cache, id)).toBe('while listening again');
    expect(reads.mock.calls.length).toBeLessThanOrEqual(3);
  });
});
