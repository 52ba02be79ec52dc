import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INestApplicationContext } from '@nestjs/common';
import { DataSource } from 'typeorm';
import pino from 'pino';
import { ErrorCode, HealthSubjects, healthTarget, PoolStatsEvent, WorkerSubjects } from '@volume/contracts';
import { GIB } from '@volume/domain';
import { createDataSource } from '@volume/persistence';
import { NatsService } from '@volume/platform';
import { createTestDatabase, TestDatabase, testNatsUrl } from '@volume/testing';
import { createWorkerApp } from '../src/bootstrap';

// Unique per run: workers of parallel runs share one NATS server and must never answer each other.
const host = `host-t${randomBytes(4).toString('hex')}`;
const pool1 = `${host}@file#pool1`;
// Keeps this run's events (pool stats) away from schedulers of other suites sharing the server.
const subjectPrefix = `test-${host}`;

interface VolumeRow {
  status: string;
  provider_location: string | null;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function waitFor<T>(probe: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`nothing within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('volume-worker against real PostgreSQL and NATS', () => {
  let db: TestDatabase;
  let pg: DataSource;
  let client: NatsService;
  let app: INestApplicationContext | undefined;
  let dataDir: string;
  let defaultTypeId: string;
  const stats: PoolStatsEvent[] = [];
  const leftCreating = randomUUID();
  const leftDeleting = randomUUID();

  const fileOf = (name: string, pool = 'pool1') => join(dataDir, pool, `volume-${name}`);

  async function insertVolume(id: string, status: string, opts: { host?: string; size?: number; nameId?: string } = {}) {
    await pg.query(
      `INSERT INTO volumes (id, project_id, user_id, size, status, host, availability_zone, volume_type_id, name_id, created_at)
       VALUES ($1, 'project', 'user', $2, $3, $4, 'nova', $5, $6, now())`,
      [id, opts.size ?? 1, status, opts.host ?? pool1, defaultTypeId, opts.nameId ?? null],
    );
  }

  async function volumeRow(id: string): Promise<VolumeRow | undefined> {
    const rows: VolumeRow[] = await pg.query(`SELECT status, provider_location FROM volumes WHERE id = $1`, [id]);
    return rows[0];
  }

  beforeAll(async () => {
    db = await createTestDatabase('worker');
    pg = await createDataSource({ url: db.url, poolSize: 2 }).initialize();
    defaultTypeId = (await pg.query(`SELECT id FROM volume_types WHERE name = '__DEFAULT__'`))[0].id;
    dataDir = await mkdtemp(join(tmpdir(), `${host}-`));

    // What a crash leaves behind: one volume whose file was never made, one whose delete never ran.
    await insertVolume(leftCreating, 'creating');
    await insertVolume(leftDeleting, 'deleting', { host: `${host}@file#pool2` });
    await mkdir(join(dataDir, 'pool2'), { recursive: true });
    await writeFile(fileOf(leftDeleting, 'pool2'), '');

    client = await NatsService.connect(testNatsUrl(), 'volume-worker-int-test', pino({ level: 'silent' }), subjectPrefix);
    // Without the scheduler's queue group, so that a scheduler running elsewhere cannot take the event.
    client.subscribe({ ...WorkerSubjects.poolStats, queue: undefined }, (event) => {
      if (event.serviceHost === host) stats.push(event);
    });
    await client.connection.flush();

    app = await createWorkerApp({
      DATABASE_URL: db.url,
      NATS_URL: testNatsUrl(),
      NATS_SUBJECT_PREFIX: subjectPrefix,
      LOG_LEVEL: 'silent',
      REPORT_INTERVAL_S: '1',
      VOLUME_HOST: host,
      VOLUME_DATA_DIR: dataDir,
      VOLUME_POOL_CAPACITY_GB: '100',
    });
  }, 30_000);

  afterAll(async () => {
    await app?.close();
    await client?.drain();
    await pg?.destroy();
    await db?.drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('when the worker starts, then a volume left creating without a file gets its file and becomes available', async () => {
    expect(await volumeRow(leftCreating)).toEqual({ status: 'available', provider_location: fileOf(leftCreating) });
    expect((await stat(fileOf(leftCreating))).size).toBe(GIB);
  });

  it('when the worker starts, then a volume left deleting is gone with its file', async () => {
    expect(await volumeRow(leftDeleting)).toBeUndefined();
    expect(await exists(fileOf(leftDeleting, 'pool2'))).toBe(false);
  });

  it('when createVolume is called for a creating volume on its pool, then the file exists and the row is available', async () => {
    const id = randomUUID();
    await insertVolume(id, 'creating', { size: 2 });
    await expect(client.call(WorkerSubjects.createVolume, { volumeId: id, poolHost: pool1, sizeGb: 2 }, { host })).resolves.toEqual({
      volumeId: id,
      status: 'available',
    });
    expect(await volumeRow(id)).toEqual({ status: 'available', provider_location: fileOf(id) });
    expect((await stat(fileOf(id))).size).toBe(2 * GIB);
  });

  it('when createVolume is retried after it succeeded, then it answers available again', async () => {
    const id = randomUUID();
    await insertVolume(id, 'creating');
    const req = { volumeId: id, poolHost: pool1, sizeGb: 1 };
    await client.call(WorkerSubjects.createVolume, req, { host });
    await expect(client.call(WorkerSubjects.createVolume, req, { host })).resolves.toEqual({ volumeId: id, status: 'available' });
  });

  it('when the driver cannot create the file, then the row is error and the reply says error', async () => {
    const id = randomUUID();
    await insertVolume(id, 'creating');
    await writeFile(fileOf(id), '');
    await truncate(fileOf(id), 3 * GIB);
    await expect(client.call(WorkerSubjects.createVolume, { volumeId: id, poolHost: pool1, sizeGb: 1 }, { host })).resolves.toEqual({
      volumeId: id,
      status: 'error',
    });
    expect((await volumeRow(id))?.status).toBe('error');
  });

  it('when createVolume names a pool of another host, then it is refused with InvalidHost and nothing is created', async () => {
    const id = randomUUID();
    await insertVolume(id, 'creating', { host: 'other-host@file#pool1' });
    await expect(
      client.call(WorkerSubjects.createVolume, { volumeId: id, poolHost: 'other-host@file#pool1', sizeGb: 1 }, { host }),
    ).rejects.toMatchObject({ code: ErrorCode.InvalidHost });
    expect((await volumeRow(id))?.status).toBe('creating');
    expect(await exists(fileOf(id))).toBe(false);
  });

  it('when a request carries a malformed volume id, then it is a BadRequest', async () => {
    await expect(client.call(WorkerSubjects.deleteVolume, { volumeId: 'nope' }, { host })).rejects.toMatchObject({
      code: ErrorCode.BadRequest,
    });
  });

  it('when initializeConnection is called, then device_path is the absolute path of the volume file', async () => {
    await expect(client.call(WorkerSubjects.initializeConnection, { volumeId: leftCreating, connector: null }, { host })).resolves.toEqual({
      connectionInfo: { driver_volume_type: 'local', data: { device_path: fileOf(leftCreating) } },
    });
  });

  it('when the volume has a name_id, then its file is named after the name_id', async () => {
    const id = randomUUID();
    const nameId = randomUUID();
    await insertVolume(id, 'creating', { nameId });
    await client.call(WorkerSubjects.createVolume, { volumeId: id, poolHost: pool1, sizeGb: 1 }, { host });
    expect(await exists(fileOf(nameId))).toBe(true);
    expect(await exists(fileOf(id))).toBe(false);
    const reply = await client.call(WorkerSubjects.initializeConnection, { volumeId: id, connector: {} }, { host });
    expect(reply.connectionInfo.data).toEqual({ device_path: fileOf(nameId) });
  });

  it('when deleteVolume is called for a deleting volume, then its file, row and metadata are gone', async () => {
    const id = randomUUID();
    await insertVolume(id, 'creating');
    await client.call(WorkerSubjects.createVolume, { volumeId: id, poolHost: pool1, sizeGb: 1 }, { host });
    await pg.query(`INSERT INTO volume_metadata (volume_id, key, value) VALUES ($1, 'k', 'v')`, [id]);
    await pg.query(`UPDATE volumes SET status = 'deleting' WHERE id = $1`, [id]);

    await expect(client.call(WorkerSubjects.deleteVolume, { volumeId: id }, { host })).resolves.toEqual({ volumeId: id, deleted: true });
    expect(await volumeRow(id)).toBeUndefined();
    expect(await exists(fileOf(id))).toBe(false);
    expect(await pg.query(`SELECT 1 FROM volume_metadata WHERE volume_id = $1`, [id])).toEqual([]);
    await expect(client.call(WorkerSubjects.deleteVolume, { volumeId: id }, { host })).resolves.toEqual({ volumeId: id, deleted: false });
  });

  it('when deleteVolume is called for a volume not in deleting, then InvalidVolume and the file stays', async () => {
    await expect(client.call(WorkerSubjects.deleteVolume, { volumeId: leftCreating }, { host })).rejects.toMatchObject({
      code: ErrorCode.InvalidVolume,
    });
    expect(await exists(fileOf(leftCreating))).toBe(true);
  });

  it('when running, then it publishes the stats of every pool', async () => {
    const event = await waitFor(() => stats[0], 5_000);
    expect(event).toMatchObject({
      serviceHost: host,
      backend: `${host}@file`,
      volumeBackendName: 'file',
      availabilityZone: 'nova',
    });
    expect(event.pools.map((p) => p.poolName)).toEqual(['pool1', 'pool2']);
    for (const pool of event.pools) {
      expect(pool).toMatchObject({
        totalCapacityGb: 100,
        reservedPercentage: 0,
        maxOverSubscriptionRatio: 20,
        thinProvisioningSupport: true,
        thickProvisioningSupport: false,
        storageProtocol: 'local',
        driverVersion: '1.0.0',
      });
      expect(pool.freeCapacityGb).toBeLessThanOrEqual(100);
      expect(Math.round(pool.freeCapacityGb * 100) / 100).toBe(pool.freeCapacityGb);
    }
  });

  it('when running, then its cinder-volume service row exists and is kept fresh', async () => {
    const row = async () => {
      const rows: { topic: string; availability_zone: string; report_count: number }[] = await pg.query(
        `SELECT topic, availability_zone, report_count FROM services WHERE host = $1 AND "binary" = 'cinder-volume'`,
        [`${host}@file`],
      );
      return rows[0];
    };
    expect(await row()).toMatchObject({ topic: 'cinder-volume', availability_zone: 'nova' });
    const first = (await row()).report_count;
    await new Promise((r) => setTimeout(r, 1_500));
    expect((await row()).report_count).toBeGreaterThan(first);
  });

  it('when asked for its health, then it answers ok with PostgreSQL and NATS checked', async () => {
    await expect(
      client.call(HealthSubjects.health, { probe: 'ready' }, { host: healthTarget('volume-worker', host) }),
    ).resolves.toEqual({ app: 'volume-worker', host, status: 'ok', checks: { postgres: true, nats: true } });
  });
});
