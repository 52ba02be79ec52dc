import { randomBytes, randomUUID } from 'node:crypto';
import { INestApplicationContext } from '@nestjs/common';
import { Client } from 'pg';
import pino from 'pino';
import { CreateVolumeRequest, MigrationSubjects, RunMigrationRequest, WorkerSubjects } from '@volume/contracts';
import { NatsService } from '@volume/platform';
import { createTestDatabase, testNatsUrl, TestDatabase } from '@volume/testing';
import { createSchedulerApp } from '../bootstrap';
import { MigrationPlacementService } from './migration-placement.service';
import { PlacementService } from './placement.service';

const DEST = 'host-b@file#pool1';
const silent = pino({ level: 'silent' });

describe('placement after a crash, and the calls to the hosts it chose (real PostgreSQL and NATS)', () => {
  let db: TestDatabase;
  let app: INestApplicationContext;
  let sql: Client;
  const hosts: NatsService[] = [];
  const prefix = `t${randomBytes(6).toString('hex')}`;
  /** What the stand-in source hosts were asked to run. */
  const runs: RunMigrationRequest[] = [];
  /** What they were asked to create. */
  const creates: CreateVolumeRequest[] = [];
  /** Left by a scheduler that died in its placement before this one started. */
  let leftByACrash: { migrationId: string; volumeId: string };

  /** A storage host answering its migration and create subjects, as a worker does (it runs each migration once). */
  async function sourceHost(host: string): Promise<NatsService> {
    const nats = await NatsService.connect(testNatsUrl(), `worker-${host}`, silent, prefix);
    nats.serve(MigrationSubjects.run, (req) => {
      runs.push(req);
      return { accepted: true as const };
    }, { host });
    nats.serve(WorkerSubjects.createVolume, (req) => {
      creates.push(req);
      return { volumeId: req.volumeId, status: 'available' as const };
    }, { host });
    await nats.connection.flush();
    hosts.push(nats);
    return nats;
  }

  /** A volume on `host`'s pool1 whose migration to host-b the API accepted. */
  async function accepted(host = 'host-a'): Promise<{ migrationId: string; volumeId: string }> {
    const [volumeId, migrationId] = [randomUUID(), randomUUID()];
    await sql.query(
      `INSERT INTO volumes (id, project_id, user_id, size, status, previous_status, migration_status, host, availability_zone, volume_type_id, created_at)
       VALUES ($1, 'p', 'u', 1, 'available', 'available', 'starting', $2, 'nova', (SELECT id FROM volume_types LIMIT 1), now())`,
      [volumeId, `${host}@file#pool1`],
    );
    await sql.query(
      `INSERT INTO volume_migrations (id, volume_id, source_host, dest_host, status, started_at, updated_at)
       VALUES ($1, $2, $3, $4, 'starting', now(), now())`,
      [migrationId, volumeId, `${host}@file#pool1`, DEST],
    );
    return { migrationId, volumeId };
  }

  /**
   * A host's pool, heartbeating, alone in an availability zone of its own (`az-<host>`), so that a
   * volume created in that zone can only be placed there.
   */
  async function zonePool(host: string): Promise<void> {
    await sql.query(
      `INSERT INTO services (uuid, host, "binary", topic, availability_zone, created_at, updated_at)
       VALUES (gen_random_uuid(), $1, 'cinder-volume', 'cinder-volume', $2, now(), now() + interval '1 hour')`,
      [`${host}@file`, `az-${host}`],
    );
    await sql.query(
      `INSERT INTO pools (name, service_host, availability_zone, total_capacity_gb, free_capacity_gb, capabilities, updated_at)
       VALUES ($1, $2, $3, 100, 100, '{"thinProvisioningSupport": true}', now())`,
      [`${host}@file#pool1`, `${host}@file`, `az-${host}`],
    );
  }

  /** A volume the API accepted (`creating`, not placed yet) in `host`'s zone. */
  async function creating(host: string): Promise<string> {
    const id = randomUUID();
    await sql.query(
      `INSERT INTO volumes (id, project_id, user_id, size, status, availability_zone, volume_type_id, created_at)
       VALUES ($1, 'p', 'u', 1, 'creating', $2, (SELECT id FROM volume_types LIMIT 1), now())`,
      [id, `az-${host}`],
    );
    return id;
  }

  const volumeRow = async (id: string) => (await sql.query(`SELECT status, host FROM volumes WHERE id = $1`, [id])).rows[0];

  const migration = async (id: string) =>
    (await sql.query(`SELECT status, mode, dest_host, dest_volume_id, error FROM volume_migrations WHERE id = $1`, [id])).rows[0];
  const destinations = async (volumeId: string) =>
    (await sql.query(`SELECT id FROM volumes WHERE migration_status = $1`, [`target:${volumeId}`])).rows.map((r) => r.id);

  async function until(check: () => Promise<boolean> | boolean, what: string): Promise<void> {
    for (let i = 0; i < 100; i++) {
      if (await check()) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  beforeAll(async () => {
    db = await createTestDatabase('placement');
    sql = new Client({ connectionString: db.url });
    await sql.connect();
    await sql.query(
      `INSERT INTO services (uuid, host, "binary", topic, availability_zone, created_at, updated_at)
       VALUES (gen_random_uuid(), 'host-b@file', 'cinder-volume', 'cinder-volume', 'nova', now(), now() + interval '1 hour')`,
    );
    await sql.query(
      `INSERT INTO pools (name, service_host, availability_zone, total_capacity_gb, free_capacity_gb, capabilities, updated_at)
       VALUES ($1, 'host-b@file', 'nova', 100, 100, '{"thinProvisioningSupport": true}', now())`,
      [DEST],
    );
    await zonePool('host-late');
    await zonePool('host-away');
    await sourceHost('host-a');
    leftByACrash = await accepted();
    app = await createSchedulerApp({
      DATABASE_URL: db.url,
      NATS_URL: testNatsUrl(),
      NATS_SUBJECT_PREFIX: prefix,
      LOG_LEVEL: 'silent',
      MIGRATION_SOURCE_WAIT_S: '2',
      CREATE_HOST_WAIT_S: '2',
    });
  });

  afterAll(async () => {
    for (const h of hosts) if (h.isConnected) await h.drain();
    await app?.close();
    await sql?.end();
    await db?.drop();
  });

  it('when a scheduler starts after another died in a placement, then it places that migration and its source host is asked to run it', async () => {
    await until(() => runs.some((r) => r.migrationId === leftByACrash.migrationId), 'the source host to be asked');
    const m = await migration(leftByACrash.migrationId);
    expect(m).toMatchObject({ status: 'starting', mode: 'host-assisted', dest_host: DEST });
    expect(await destinations(leftByACrash.volumeId)).toEqual([m.dest_volume_id]);
    expect(runs.find((r) => r.migrationId === leftByACrash.migrationId)).toEqual({ ...leftByACrash, destPoolHost: DEST, mode: 'host-assisted', destVolumeId: m.dest_volume_id });
  });

  it('when a placement is under way (its volume locked), then resuming leaves it; once its scheduler died, resuming places it once', async () => {
    const m = await accepted();
    const live = new Client({ connectionString: db.url });
    await live.connect();
    await live.query('BEGIN');
    await live.query(`SELECT id FROM volumes WHERE id = $1 FOR UPDATE`, [m.volumeId]);

    await app.get(MigrationPlacementService).resume();
    expect(await migration(m.migrationId)).toMatchObject({ status: 'starting', mode: null });

    await live.end(); // the connection of a killed scheduler: its transaction rolls back
    await app.get(MigrationPlacementService).resume();
    await app.get(MigrationPlacementService).resume();
    expect(await migration(m.migrationId)).toMatchObject({ mode: 'host-assisted' });
    expect(await destinations(m.volumeId)).toHaveLength(1);
    expect(runs.filter((r) => r.migrationId === m.migrationId)).toHaveLength(1);
  });

  it('when the source host does not answer yet (restarting), then the call is retried until it does', async () => {
    const m = await accepted('host-c');
    setTimeout(() => void sourceHost('host-c'), 500);
    await app.get(MigrationPlacementService).scheduleMigration({ ...m, destHost: DEST, forceHostCopy: false }, undefined);
    expect(runs.filter((r) => r.migrationId === m.migrationId)).toHaveLength(1);
    expect(await migration(m.migrationId)).toMatchObject({ status: 'starting', mode: 'host-assisted', error: null });
  });

  it('when the source host stays away past MIGRATION_SOURCE_WAIT_S, then the migration ends in error and its destination goes', async () => {
    const m = await accepted('host-gone');
    await app.get(MigrationPlacementService).scheduleMigration({ ...m, destHost: DEST, forceHostCopy: false }, undefined);
    const row = await migration(m.migrationId);
    expect(row.status).toBe('error');
    expect(row.error).toMatch(/^source host unavailable: No service answers on .*volume\.host-gone\.migrate_volume\.v1/);
    expect(await destinations(m.volumeId)).toEqual([]);
    expect((await sql.query(`SELECT migration_status FROM volumes WHERE id = $1`, [m.volumeId])).rows[0].migration_status).toBe('error');
  });
  it('when the host a create was placed on does not answer yet (restarting), then the create is asked again until it does, and the volume is not failed', async () => {
    const id = await creating('host-late');
    setTimeout(() => void sourceHost('host-late'), 700);
    await app.get(PlacementService).placeAndCreate(id, undefined);
    expect(creates.filter((c) => c.volumeId === id)).toEqual([{ volumeId: id, poolHost: 'host-late@file#pool1', sizeGb: 1 }]);
    expect(await volumeRow(id)).toEqual({ status: 'creating', host: 'host-late@file#pool1' });
  });

  it('when the host a create was placed on stays away past CREATE_HOST_WAIT_S, then the volume ends in error', async () => {
    const id = await creating('host-away');
    const startedAt = Date.now();
    await app.get(PlacementService).placeAndCreate(id, undefined);
    // Asked again with backoff until the next attempt would start past the bound (2 s here; backoff with jitter may stop well before it), not failed at once.
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(500);
    expect(await volumeRow(id)).toEqual({ status: 'error', host: 'host-away@file#pool1' });
  });
});
