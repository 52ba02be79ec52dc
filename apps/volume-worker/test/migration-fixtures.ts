import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { DataSource } from 'typeorm';
import { createDataSource } from '@volume/persistence';
import { createTestDatabase, readRange, TestDatabase } from '@volume/testing';
import { FileDriver } from '../src/backend/file-driver';
import { loadWorkerConfig, WorkerConfig } from '../src/config';
import { VolumeService } from '../src/volume/volume.service';

export const silentLog = pino({ level: 'silent' });

/**
 * One worker's pieces for a migration spec, wired as the worker wires them but without NATS: its
 * own database, a file backend with two pools in a temporary directory, and the host's config.
 */
export interface WorkerBench {
  db: TestDatabase;
  /** What the worker under test uses. */
  ds: DataSource;
  /** The test's own view of the rows, never cut off. */
  sql: DataSource;
  dir: string;
  host: string;
  cfg: WorkerConfig;
  driver: FileDriver;
  volumes: VolumeService;
  close(): Promise<void>;
}

/** `url` overrides where the worker's data source connects (a PgProxy in front of the database). */
export async function openWorkerBench(prefix: string, url?: (db: TestDatabase) => string): Promise<WorkerBench> {
  const db = await createTestDatabase(prefix);
  const host = `host-${randomBytes(4).toString('hex')}`;
  const dir = await mkdtemp(join(tmpdir(), `${prefix}-`));
  const cfg = loadWorkerConfig({ VOLUME_HOST: host, VOLUME_DATA_DIR: dir, VOLUME_POOLS: 'pool1,pool2' });
  const ds = await createDataSource({ url: url ? url(db) : db.url, poolSize: 2 }).initialize();
  const sql = await createDataSource({ url: db.url, poolSize: 2 }).initialize();
  const driver = new FileDriver({ dataDir: dir, pools: cfg.VOLUME_POOLS, poolCapacityGb: 0 });
  await driver.init();
  return {
    db,
    ds,
    sql,
    dir,
    host,
    cfg,
    driver,
    volumes: new VolumeService(ds, driver, cfg),
    async close() {
      await ds.destroy().catch(() => undefined);
      await sql.destroy();
      await db.drop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export const poolHost = (bench: WorkerBench, pool: string) => `${bench.host}@file#${pool}`;

/** Where a seeded volume holds data: the rest of its GiB is a hole. */
const DATA_BYTES = 3 * 1024 * 1024;

/** A 1 GiB volume on `pool` of the bench's host, its file holding a few MiB of random data. */
export async function seedVolume(
  bench: WorkerBench,
  v: { pool: string; status?: string; previousStatus?: string | null; migrationStatus?: string | null; id?: string },
): Promise<string> {
  const id = v.id ?? randomUUID();
  const { path } = await bench.driver.create(v.pool, id, 1);
  await writeFile(path, randomBytes(DATA_BYTES), { flag: 'r+' });
  await bench.sql.query(
    `INSERT INTO volumes (id, project_id, user_id, size, status, previous_status, migration_status, host, provider_location,
                          availability_zone, volume_type_id, created_at)
     VALUES ($1, 'p1', 'u1', 1, $2, $3, $4, $5, $6, 'nova', (SELECT id FROM volume_types WHERE name = '__DEFAULT__'), now())`,
    [id, v.status ?? 'available', v.previousStatus ?? null, v.migrationStatus ?? null, poolHost(bench, v.pool), path],
  );
  return id;
}

export async function seedMigration(
  bench: WorkerBench,
  m: { volumeId: string; fromPool: string; toPool: string; mode: string; destVolumeId?: string; status?: string },
): Promise<string> {
  const id = randomUUID();
  await bench.sql.query(
    `INSERT INTO volume_migrations (id, volume_id, dest_volume_id, source_host, dest_host, mode, status, started_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, now(), now())`,
    [id, m.volumeId, m.destVolumeId ?? null, poolHost(bench, m.fromPool), poolHost(bench, m.toPool), m.mode, m.status ?? 'migrating'],
  );
  return id;
}

/** The digest of a seeded volume's data and its size: what must come through a move unchanged. */
export async function dataDigest(path: string): Promise<string> {
  const size = (await stat(path)).size;
  return `${size}:${createHash('sha256').update(await readRange(path, 0, DATA_BYTES)).digest('hex')}`;
}

export async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Whether `promise` is still pending after `ms`: an outage holds a retried step, it does not fail it. */
export async function stillPendingAfter(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await new Promise((resolve) => setTimeout(resolve, ms));
  return !settled;
}
