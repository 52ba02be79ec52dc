import { randomBytes, randomUUID } from 'node:crypto';
import { INestApplicationContext } from '@nestjs/common';
import { Client } from 'pg';
import pino from 'pino';
import { CancelSwapReply, CancelSwapRequest, ComputeSubjects } from '@volume/contracts';
import { LOGGER, NatsService } from '@volume/platform';
import { createTestDatabase, testNatsUrl, TestDatabase } from '@volume/testing';
import { createSchedulerApp } from '../bootstrap';
import { MigrationWatchdog } from './migration-watchdog.service';

describe('migration watchdog (real PostgreSQL and NATS)', () => {
  let db: TestDatabase;
  let app: INestApplicationContext;
  let sql: Client;
  let bridge: NatsService;
  const prefix = `t${randomBytes(6).toString('hex')}`;
  /** What the stand-in nova-bridge answers a cancel, per volume; it records every request. */
  const outcomes = new Map<string, CancelSwapReply['outcome']>();
  const cancels: CancelSwapRequest[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('watchdog');
    bridge = await NatsService.connect(testNatsUrl(), 'nova-bridge-stand-in', pino({ level: 'silent' }), prefix);
    bridge.serve(ComputeSubjects.cancelSwap, (req) => {
      cancels.push(req);
      return { outcome: outcomes.get(req.volumeId) ?? 'not-found', phase: null };
    });
    await bridge.connection.flush();
    app = await createSchedulerApp({
      DATABASE_URL: db.url,
      NATS_URL: testNatsUrl(),
      NATS_SUBJECT_PREFIX: prefix,
      LOG_LEVEL: 'silent',
      MIGRATION_STALL_TIMEOUT_S: '60',
    });
    sql = new Client({ connectionString: db.url });
    await sql.connect();
  });

  afterAll(async () => {
    if (bridge?.isConnected) await bridge.drain();
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

  async function migration(volumeId: string, destVolumeId: string, secondsAgo: number, mode = 'host-assisted'): Promise<string> {
    const id = randomUUID();
    await sql.query(
      `INSERT INTO volume_migrations (id, volume_id, dest_volume_id, source_host, dest_host, mode, status, started_at, updated_at)
       VALUES ($1, $2, $3, 'gone@file#pool1', 'host-b@file#pool1', $5, 'migrating', now(), now() - make_interval(secs => $4))`,
      [id, volumeId, destVolumeId, secondsAgo, mode],
    );
    return id;
  }

  /** A stalled in-use volume whose attachments the compute side was swapping. */
  async function stalledSwap(outcome?: CancelSwapReply['outcome']) {
    const [vol, dest] = [randomUUID(), randomUUID()];
    await volume(vol, 'gone@file#pool1', 'migrating', 'in-use', 'in-use');
    await volume(dest, 'host-b@file#pool1', `target:${vol}`);
    if (outcome) outcomes.set(vol, outcome);
    const id = await migration(vol, dest, 120, 'compute-swap');
    return { vol, dest, id };
  }

  /** An in-use volume whose swap an admin cancelled `secondsAgo`, the API dying before the compute side answered. */
  async function cancellingSwap(outcome: CancelSwapReply['outcome'], secondsAgo = 120) {
    const s = await stalledSwap(outcome);
    await sql.query(`UPDATE volumes SET migration_status = 'cancelling' WHERE id = $1`, [s.vol]);
    await sql.query(`UPDATE volume_migrations SET status = 'cancelling', updated_at = now() - make_interval(secs => $2) WHERE id = $1`, [s.id, secondsAgo]);
    return s;
  }

  async function rowsOf(s: { vol: string; dest: string; id: string }) {
    const volumes = (await sql.query(`SELECT id, status, migration_status FROM volumes WHERE id = ANY($1)`, [[s.vol, s.dest]])).rows;
    const byId = Object.fromEntries(volumes.map((r) => [r.id, r]));
    const m = (await sql.query(`SELECT status, error, updated_at > now() - interval '10 seconds' AS touched FROM volume_migrations WHERE id = $1`, [s.id])).rows[0];
    return { vol: byId[s.vol], dest: byId[s.dest], migration: m };
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

  it('when a migration is silent longer than the bound but its source host still heartbeats, then it stays migrating (slow bytes are no reason)', async () => {
    const [vol, dest, id] = [randomUUID(), randomUUID(), randomUUID()];
    await sql.query(
      `INSERT INTO services (uuid, host, "binary", topic, availability_zone, report_count, created_at, updated_at)
       VALUES ($1, 'alive@file', 'cinder-volume', 'cinder-volume', 'nova', 1, now(), now())`,
      [randomUUID()],
    );
    await volume(vol, 'alive@file#pool1', 'migrating');
    await volume(dest, 'host-b@file#pool1', `target:${vol}`);
    await sql.query(
      `INSERT INTO volume_migrations (id, volume_id, dest_volume_id, source_host, dest_host, mode, status, started_at, updated_at)
       VALUES ($1, $2, $3, 'alive@file#pool1', 'host-b@file#pool1', 'host-assisted', 'migrating', now(), now() - interval '1 hour')`,
      [id, vol, dest],
    );

    expect(await app.get(MigrationWatchdog).sweep()).not.toContain(id);
    expect((await sql.query(`SELECT status FROM volume_migrations WHERE id = $1`, [id])).rows[0].status).toBe('migrating');

    await sql.query(`UPDATE services SET updated_at = now() - interval '1 hour' WHERE host = 'alive@file'`);
    expect(await app.get(MigrationWatchdog).sweep()).toContain(id);
  });

  it.each(['cancelled', 'not-found'] as const)(
    'when a stalled compute swap is %s by nova-bridge, then it ends in error, in-use stays and the destination goes',
    async (outcome) => {
      const swap = await stalledSwap(outcome);

      const ended = await app.get(MigrationWatchdog).sweep();

      expect(ended).toEqual([swap.id]);
      expect(cancels.find((c) => c.volumeId === swap.vol)?.reason).toMatch(/no progress for 60 s/);
      const rows = await rowsOf(swap);
      expect(rows.vol).toMatchObject({ status: 'in-use', migration_status: 'error' });
      expect(rows.dest).toMatchObject({ status: 'deleting' });
      expect(rows.migration.status).toBe('error');
      expect(rows.migration.error).toContain(`swap ${outcome}`);
    },
  );

  it('when a stalled compute swap is past its pivot, then it stays migrating with its destination and is looked at again a full bound later', async () => {
    const swap = await stalledSwap('past-pivot');

    expect(await app.get(MigrationWatchdog).sweep()).toEqual([]);
    const rows = await rowsOf(swap);
    expect(rows.vol).toMatchObject({ status: 'in-use', migration_status: 'migrating' });
    expect(rows.dest).toMatchObject({ status: 'available' });
    expect(rows.migration).toMatchObject({ status: 'migrating', touched: true });

    const asked = cancels.filter((c) => c.volumeId === swap.vol).length;
    await app.get(MigrationWatchdog).sweep();
    expect(cancels.filter((c) => c.volumeId === swap.vol).length).toBe(asked);
  });

  it('when a swap cancel lost its answer and nova-bridge cancelled the swap, then the migration ends cancelled, in-use stays and the destination goes', async () => {
    const swap = await cancellingSwap('cancelled');

    expect(await app.get(MigrationWatchdog).sweep()).toEqual([swap.id]);
    expect(cancels.find((c) => c.volumeId === swap.vol)?.reason).toMatch(/os-migrate_volume_cancel/);
    const rows = await rowsOf(swap);
    expect(rows.vol).toMatchObject({ status: 'in-use', migration_status: 'cancelled' });
    expect(rows.dest).toMatchObject({ status: 'deleting' });
    expect(rows.migration).toMatchObject({ status: 'cancelled', error: null });
  });

  it.each(['past-pivot', 'not-found', 'unsupported'] as const)(
    'when a swap cancel lost its answer and nova-bridge answers %s, then the cancel is withdrawn and the migration goes on',
    async (outcome) => {
      const swap = await cancellingSwap(outcome);

      expect(await app.get(MigrationWatchdog).sweep()).toEqual([]);
      const rows = await rowsOf(swap);
      expect(rows.vol).toMatchObject({ status: 'in-use', migration_status: 'migrating' });
      expect(rows.dest).toMatchObject({ status: 'available' });
      expect(rows.migration).toMatchObject({ status: 'migrating', touched: true });
    },
  );

  it('when a swap cancel is younger than its answer can take, then the watchdog leaves it to the API', async () => {
    const swap = await cancellingSwap('cancelled', 5);

    await app.get(MigrationWatchdog).sweep();
    expect(cancels.filter((c) => c.volumeId === swap.vol)).toEqual([]);
    expect((await rowsOf(swap)).migration.status).toBe('cancelling');
  });

  it('when nova-bridge cannot cancel a stalled swap, or does not answer, then it stays and the error names os-reset_status', async () => {
    const log = app.get(LOGGER);
    const errors = jest.spyOn(log, 'error');
    const unsupported = await stalledSwap('unsupported');

    expect(await app.get(MigrationWatchdog).sweep()).toEqual([]);
    expect((await rowsOf(unsupported)).migration).toMatchObject({ status: 'migrating', touched: true });
    expect((await rowsOf(unsupported)).dest).toMatchObject({ status: 'available' });

    await bridge.drain();
    const unanswered = await stalledSwap();
    expect(await app.get(MigrationWatchdog).sweep()).toEqual([]);
    const rows = await rowsOf(unanswered);
    expect(rows.vol).toMatchObject({ status: 'in-use', migration_status: 'migrating' });
    expect(rows.dest).toMatchObject({ status: 'available' });
    expect(rows.migration).toMatchObject({ status: 'migrating', touched: true });

    const messages = errors.mock.calls.map((c) => c.map(String).join(' '));
    expect(messages.filter((m) => m.includes('os-reset_status'))).toHaveLength(2);
    errors.mockRestore();
  });
});
