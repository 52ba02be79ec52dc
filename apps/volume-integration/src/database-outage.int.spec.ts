import { randomBytes, randomUUID } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { ApiApp, createApiApp } from '@volume/api-app';
import { runMigrations } from '@volume/persistence';
import { testNatsUrl } from '@volume/testing';
import { ADMIN, PostgresServer, PROJECT } from '@volume/testing-stack';

// The API in this process against a PostgreSQL of its own, which the test stops as an operator
// would (pg_ctl stop -m fast): while it is down, reads answer Cinder's 503 fault, not a 500, and
// once it is back they answer again without a restart of the API.

describe('volume-api while its database is down', () => {
  let root: string;
  let pg: PostgresServer;
  let api: ApiApp;
  const volumeId = randomUUID();

  const getVolume = () =>
    api.app.inject({ method: 'GET', url: `/v3/${PROJECT}/volumes/${volumeId}`, headers: { host: 'localhost:8776', ...ADMIN } });

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'api-db-outage-'));
    // PostgreSQL may run as another OS user (as root, it must): it has to reach its directory inside.
    await chmod(root, 0o755);
    pg = await PostgresServer.create(root);
    await runMigrations(pg.url());
    const sql = new Client({ connectionString: pg.url() });
    await sql.connect();
    try {
      await sql.query(
        `INSERT INTO volumes (id, project_id, user_id, size, status, host, availability_zone, volume_type_id, created_at)
         VALUES ($1, $2, 'u1', 1, 'available', 'host-a@file#pool1', 'nova', (SELECT id FROM volume_types WHERE name = '__DEFAULT__'), now())`,
        [volumeId, PROJECT],
      );
    } finally {
      await sql.end();
    }
    api = await createApiApp({
      DATABASE_URL: pg.url(),
      NATS_URL: testNatsUrl(),
      NATS_SUBJECT_PREFIX: `t${randomBytes(6).toString('hex')}`,
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      API_PORT: '0',
    });
  }, 120_000);

  afterAll(async () => {
    await api?.app.close();
    await pg?.destroy();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('when PostgreSQL is stopped, then GET volume answers 503 with the service-unavailable fault, and 200 once it is back', async () => {
    expect((await getVolume()).statusCode).toBe(200);

    await pg.stop();
    for (let i = 0; i < 3; i++) {
      const down = await getVolume();
      expect(down.statusCode).toBe(503);
      expect(down.headers['content-type']).toContain('application/json');
      expect(down.headers['x-openstack-request-id']).toMatch(/^req-/);
      expect(JSON.parse(down.body)).toEqual({
        serviceUnavailable: { code: 503, message: 'The server is currently unavailable. Please try again at a later time.' },
      });
    }

    await pg.start();
    let back = await getVolume();
    for (let i = 0; i < 20 && back.statusCode !== 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      back = await getVolume();
    }
    expect(back.statusCode).toBe(200);
    expect(JSON.parse(back.body).volume.id).toBe(volumeId);
  }, 120_000);
});
