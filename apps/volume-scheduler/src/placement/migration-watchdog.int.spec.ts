import { randomBytes, randomUUID } from 'node:crypto';
import { INestApplicationContext } from '@nestjs/common';
import { Client } from 'pg';
import { createTestDatabase, testNatsUrl, TestDatabase } from '@volume/testing';
import { createSchedulerApp } from '../bootstrap';
import { MigrationWatchdog } from './migration-watchdog.service';

describe('migration watchdog (real PostgreSQL and NATS)', () => {
  let db: TestDatabase;
  let app: INestApplicationContext;
  let sql: Client;

  beforeAll(async () => {
    db = await createTestDatabase('watchdog');
    app = await createSchedulerApp({
      DATABASE_URL: db.url,
      NATS_URL: testNatsUrl(),
      NATS_SUBJECT_PREFIX: `t${randomBytes(6).toString('hex')}`,
      LOG_LEVEL: 'silent',
      MIGRATION_STALL_TIMEOUT_S: '60',
    });
    sql = new Client({ connectionString: db.url });
    await sql.connect();
  });

  afterAll(async () => {
    await sql?.end();
    await app?.close();
    await db?.drop();
  });

  async function volume(id: string, host: string, migrationStatus: string | null, status = 'available', previous: string | null = null) {
    await sql.query(
      `INSERT INTO volumes (id, project_id, user_id, size, status, previous_status, migration_status, host, availability_zone, volume_type_id, created_at)
       VALUES ($1, 'p', 'u', 1, $2, $3, $4, $5, 'nova', (SELECT id FROM volume_types LIMIT 1), now())`,
      [id, status, previous, migrationStatus, host],
    );
  }

  async function migration(volumeId: string, destVolumeId: string, secondsAgo: number): Promise<string> {
    const id = randomUUID();
    await sql.query(
      `INSERT INTO volume_migrations (id, volume_id, dest_volume_id, source_host, dest_host, mode, status, started_at, updated_at)
       VALUES ($1, $2, $3, 'gone@file#pool1', 'host-b@file#pool1', 'host-assisted', 'migrating', now(), now() - make_interval(secs => $4))`,
      [id, volumeId, destVolumeId, secondsAgo],
    );
    return id;
  }

  it('when a migration has been silent longer than the bound, then it ends in error, the status comes back and the destination goes', async () => {
    const [stalledVol, stalledDest, liveVol, liveDest] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    await volume(stalledVol, 'gone@file#pool1', 'migrating', 'maintenance', 'available');
    await volume(stalledDest, 'host-b@file#pool1', `target:${stalledVol}`);
    await volume(liveVol, 'gone@file#pool1', 'migrating');
    await volume(liveDest, 'host-b@file#pool1', `target:${liveVol}`);
    const stalled = await migration(stalledVol, stalledDest, 120);
    await migration(liveVol, liveDest, 5);

    const ended = await app.get(MigrationWatchdog).sweep();

    expect(ended).toEqual([stalled]);
    const rows = (await sql.query(`SELECT id, status, migration_status FROM volumes`)).rows;
    const byId = Object.fromEntries(rows.map((r) => [r.id, r]));
    expect(byId[stalledVol]).toMatchObject({ status: 'available', migration_status: 'error' });
    expect(byId[stalledDest]).toMatchObject({ status: 'deleting' });
    expect(byId[liveVol]).toMatchObject({ migration_status: 'migrating' });
    expect(byId[liveDest]).toMatchObject({ status: 'available' });
    const m = (await sql.query(`SELECT status, error FROM volume_migrations WHERE id = $1`, [stalled])).rows[0];
    expect(m.status).toBe('error');
    expect(m.error).toMatch(/no progress for 60 s/);
  });
});
