import { randomBytes, randomUUID } from 'node:crypto';
import { INestApplicationContext } from '@nestjs/common';
import { Client } from 'pg';
import { createTestDatabase, testNatsUrl, TestDatabase } from '@volume/testing';
import { createSchedulerApp } from '../bootstrap';
import { MigrationHistoryPurge } from './migration-history-purge.service';

describe('the migration history purge (real PostgreSQL)', () => {
  let db: TestDatabase;
  let app: INestApplicationContext;
  let sql: Client;

  beforeAll(async () => {
    db = await createTestDatabase('purge');
    app = await createSchedulerApp({
      DATABASE_URL: db.url,
      NATS_URL: testNatsUrl(),
      NATS_SUBJECT_PREFIX: `t${randomBytes(6).toString('hex')}`,
      LOG_LEVEL: 'silent',
      MIGRATION_HISTORY_DAYS: '30',
    });
    sql = new Client({ connectionString: db.url });
    await sql.connect();
  });

  afterAll(async () => {
    await sql?.end();
    await app?.close();
    await db?.drop();
  });

  /** A migration of a fresh volume, started and (unless null) finished `finishedDaysAgo` days ago. */
  async function migration(status: string, finishedDaysAgo: number | null): Promise<string> {
    const [vol, id] = [randomUUID(), randomUUID()];
    await sql.query(
      `INSERT INTO volumes (id, project_id, user_id, size, status, host, availability_zone, volume_type_id, created_at)
       VALUES ($1, 'p', 'u', 1, 'available', 'host-a@file#pool1', 'nova', (SELECT id FROM volume_types LIMIT 1), now())`,
      [vol],
    );
    await sql.query(
      `INSERT INTO volume_migrations (id, volume_id, source_host, dest_host, status, started_at, updated_at, finished_at)
       VALUES ($1, $2, 'host-a@file#pool1', 'host-b@file#pool1', $3, now() - interval '400 days', now(),
               CASE WHEN $4::int IS NULL THEN NULL ELSE now() - make_interval(days => $4) END)`,
      [id, vol, status, finishedDaysAgo],
    );
    return id;
  }

  it('when it runs, then only finished migrations older than MIGRATION_HISTORY_DAYS go; recent and running ones stay', async () => {
    const old = await Promise.all([migration('success', 31), migration('error', 45), migration('cancelled', 400)]);
    const kept = await Promise.all([migration('success', 29), migration('error', 1), migration('migrating', null), migration('starting', null)]);

    expect(await app.get(MigrationHistoryPurge).purge()).toBe(3);

    const left = (await sql.query(`SELECT id FROM volume_migrations`)).rows.map((r) => r.id);
    expect(left.sort()).toEqual([...kept].sort());
    expect(left).not.toEqual(expect.arrayContaining(old));
    expect(await app.get(MigrationHistoryPurge).purge()).toBe(0);
  });
});
