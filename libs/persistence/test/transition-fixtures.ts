import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource, EntityManager } from 'typeorm';
import { createTestDatabase, TestDatabase } from '@volume/testing';
import { createDataSource } from '../src/data-source';

/** One suite's own database with a data source on it; `close()` ends both. */
export interface TransitionsDb {
  ds: DataSource;
  close(): Promise<void>;
}

export async function openTransitionsDb(prefix: string): Promise<TransitionsDb> {
  const db: TestDatabase = await createTestDatabase(prefix);
  const ds = createDataSource({ url: db.url, poolSize: 4, applicationName: prefix });
  await ds.initialize();
  return {
    ds,
    async close() {
      await ds.destroy();
      await db.drop();
    },
  };
}

export const HOST_A = 'host-a@file#pool1';
export const HOST_B = 'host-b@file#pool1';

/** A volume row as a test needs it: available on HOST_A, detached, 1 GiB, unless told otherwise. */
export interface SeedVolume {
  status?: string;
  host?: string | null;
  attachStatus?: string;
  migrationStatus?: string | null;
  previousStatus?: string | null;
  multiattach?: boolean;
  createdAt?: Date;
}

export async function seedVolume(ds: DataSource, v: SeedVolume = {}): Promise<string> {
  const id = randomUUID();
  const [{ id: typeId }]: { id: string }[] = await ds.query(`SELECT id FROM volume_types WHERE name = '__DEFAULT__'`);
  await ds.query(
    `INSERT INTO volumes (id, project_id, user_id, size, status, previous_status, attach_status, migration_status, host, multiattach,
                          availability_zone, volume_type_id, created_at)
     VALUES ($1, 'p1', 'u1', 1, $2, $3, $4, $5, $6, $7, 'nova', $8, $9)`,
    [
      id,
      v.status ?? 'available',
      v.previousStatus ?? null,
      v.attachStatus ?? 'detached',
      v.migrationStatus ?? null,
      v.host === undefined ? HOST_A : v.host,
      v.multiattach ?? false,
      typeId,
      v.createdAt ?? new Date(),
    ],
  );
  return id;
}

export async function seedAttachment(ds: DataSource, volumeId: string, attachStatus = 'attached'): Promise<string> {
  const id = randomUUID();
  await ds.query(
    `INSERT INTO volume_attachments (id, volume_id, project_id, attach_status, attach_mode, created_at) VALUES ($1, $2, 'p1', $3, 'rw', now())`,
    [id, volumeId, attachStatus],
  );
  return id;
}

export async function seedMigration(ds: DataSource, volumeId: string, m: { status: string; mode?: string | null }): Promise<string> {
  const id = randomUUID();
  await ds.query(
    `INSERT INTO volume_migrations (id, volume_id, source_host, dest_host, mode, status, started_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, now(), now())`,
    [id, volumeId, HOST_A, HOST_B, m.mode ?? null, m.status],
  );
  return id;
}

/** The columns the transitions write, as the table holds them. */
export async function volumeRow(ds: DataSource, id: string): Promise<Record<string, unknown> | undefined> {
  const [row] = await ds.query(
    `SELECT status, previous_status, attach_status, migration_status, migration_progress, host, display_name, display_description
       FROM volumes WHERE id = $1`,
    [id],
  );
  return row;
}

/**
 * Two requests racing for one row, made deterministic: `first` runs in a transaction that stays open
 * until `second` (on another connection) waits for a lock `first` holds; then it commits.
 * @returns how `second` ended.
 */
export async function raceAgainstOpenTransaction<T>(
  ds: DataSource,
  first: (em: EntityManager) => Promise<unknown>,
  second: () => Promise<T>,
): Promise<PromiseSettledResult<T>> {
  let outcome: Promise<PromiseSettledResult<T>> | undefined;
  await ds.transaction(async (em) => {
    await first(em);
    outcome = Promise.allSettled([second()]).then(([r]) => r);
    await untilSomeoneWaitsForALock(ds);
  });
  return outcome as Promise<PromiseSettledResult<T>>;
}

async function untilSomeoneWaitsForALock(ds: DataSource): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const [{ waiting }] = await ds.query(
      `SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
    );
    if (waiting > 0) return;
    await sleep(25);
  }
  throw new Error('the second request never waited for the first one\'s lock');
}
