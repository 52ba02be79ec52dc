import { randomBytes, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import pino from 'pino';
import { CancelSwapReply, ComputeSubjects, MigrationSubjects } from '@volume/contracts';
import { NatsService } from '@volume/platform';
import { createTestDatabase, testNatsUrl, TestDatabase } from '@volume/testing';
import { ApiApp, createApiApp } from '../../bootstrap';

// 3.73's migration controls through the real API on PostgreSQL and NATS: os-migrate_volume_cancel,
// os-migrate_volume_set_bandwidth and POST /volume-migrations/estimate; the version x role matrix,
// what each does to the rows, and what it asks of the source host (a stand-in worker) and of the
// compute side (a stand-in nova-bridge). The migrations themselves are rows made with SQL.

jest.setTimeout(60_000);

const P = 'aaaa1111aaaa1111aaaa1111aaaa1111';
const CALLERS = {
  admin: { 'x-auth-token': `admin:${P}` },
  member: { 'x-auth-token': `demo:${P}` },
  reader: { 'x-auth-token': `auditor:${P}`, 'x-roles': 'reader' },
};
type Role = keyof typeof CALLERS;
const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

let db: TestDatabase;
let sql: Client;
let api: ApiApp;
let standIn: NatsService;
const prefix = `t${randomBytes(6).toString('hex')}`;
const cancelsAsked: string[] = [];
const bandwidthsAsked: { migrationId: string; bytesPerSecond: number | null }[] = [];
let swapCancel: CancelSwapReply = { outcome: 'cancelled', phase: 'failed' };

async function volume(migrationStatus: string | null, status = 'available'): Promise<string> {
  const id = randomUUID();
  await sql.query(
    `INSERT INTO volumes (id, project_id, user_id, size, status, previous_status, availability_zone, volume_type_id, host, migration_status, created_at)
     SELECT $1, $2, 'demo', 1, $3, 'available', 'nova', id, 'host-a@file#pool1', $4, now() FROM volume_types WHERE name = '__DEFAULT__'`,
    [id, P, status, migrationStatus],
  );
  return id;
}

async function migration(volumeId: string, status: string, mode: string | null): Promise<string> {
  const id = randomUUID();
  await sql.query(
    `INSERT INTO volume_migrations (id, volume_id, source_host, dest_host, mode, status, bytes_total, started_at, updated_at)
     VALUES ($1, $2, 'host-a@file#pool1', 'host-b@file#pool1', $3, $4, ${GIB}, now(), now())`,
    [id, volumeId, mode, status],
  );
  return id;
}

/** A volume and its migration, as the source host runs it (`migrating`), in `mode`. */
async function migrating(mode: string | null = 'host-assisted', status = 'migrating'): Promise<{ volumeId: string; migrationId: string }> {
  const volumeId = await volume(status, 'maintenance');
  return { volumeId, migrationId: await migration(volumeId, status, mode) };
}

async function rows(volumeId: string, migrationId: string): Promise<{ volume: string | null; status: string; migration: string; bandwidth: string | null }> {
  const [v] = (await sql.query(`SELECT migration_status, status FROM volumes WHERE id = $1`, [volumeId])).rows;
  const [m] = (await sql.query(`SELECT status, bandwidth_limit FROM volume_migrations WHERE id = $1`, [migrationId])).rows;
  return { volume: v.migration_status, status: v.status, migration: m.status, bandwidth: m.bandwidth_limit };
}

async function post(role: Role, url: string, body: unknown, version = '3.73') {
  const res = await api.app.inject({
    method: 'POST',
    url,
    headers: { host: 'localhost', 'content-type': 'application/json', ...CALLERS[role], 'openstack-api-version': `volume ${version}` },
    payload: JSON.stringify(body),
  });
  return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : undefined };
}

const action = (role: Role, volumeId: string, body: unknown, version?: string) => post(role, `/v3/${P}/volumes/${volumeId}/action`, body, version);
const CANCEL = { 'os-migrate_volume_cancel': null };
const bandwidth = (n: number | null) => ({ 'os-migrate_volume_set_bandwidth': { bytes_per_second: n } });

beforeAll(async () => {
  db = await createTestDatabase('migctl');
  sql = new Client({ connectionString: db.url });
  await sql.connect();
  await sql.query(
    `INSERT INTO services (uuid, host, "binary", topic, availability_zone, created_at, updated_at)
     VALUES ($1, 'host-b@file', 'cinder-volume', 'cinder-volume', 'nova', now(), now() + interval '1 hour')`,
    [randomUUID()],
  );
  standIn = await NatsService.connect(testNatsUrl(), 'stand-ins', pino({ level: 'silent' }), prefix);
  standIn.serve(MigrationSubjects.cancel, ({ migrationId }) => (cancelsAsked.push(migrationId), { stopped: true }), { host: 'host-a' });
  standIn.serve(MigrationSubjects.setBandwidth, (req) => (bandwidthsAsked.push(req), { applied: true }), { host: 'host-a' });
  standIn.serve(MigrationSubjects.dataExtent, () => ({ allocatedBytes: 96 * MIB, totalBytes: GIB, hostLimitBytesPerSecond: 8 * MIB }), { host: 'host-a' });
  standIn.serve(ComputeSubjects.cancelSwap, () => swapCancel);
  await standIn.connection.flush();
  api = await createApiApp({ DATABASE_URL: db.url, NATS_URL: testNatsUrl(), NATS_SUBJECT_PREFIX: prefix, LOG_LEVEL: 'silent', API_PORT: '0' });
});

afterAll(async () => {
  await api?.app.close();
  if (standIn?.isConnected) await standIn.drain();
  await sql?.end();
  await db?.drop();
});

describe('the version x role matrix of the migration controls', () => {
  const matrix: [string, Role, number][] = [
    ['3.73', 'admin', 202],
    ['3.72', 'admin', 404],
    ['3.0', 'admin', 404],
    ['3.73', 'member', 403],
    ['3.73', 'reader', 403],
    ['3.72', 'member', 404],
  ];

  it.each(matrix)('when a migration is cancelled at %s by a %s, then %s', async (version, role, status) => {
    const { volumeId, migrationId } = await migrating();
    const res = await action(role, volumeId, CANCEL, version);
    expect(res.status).toBe(status);
    if (status === 404) expect(res.body).toEqual({ itemNotFound: { code: 404, message: `API version ${version} is not supported on this method.` } });
    if (status === 403) {
      expect(res.body).toEqual({
        forbidden: { code: 403, message: "Policy doesn't allow volume_extension:volume_admin_actions:migrate_volume_cancel to be performed." },
      });
    }
    expect((await rows(volumeId, migrationId)).migration).toBe(status === 202 ? 'cancelling' : 'migrating');
  });

  it.each(matrix)("when a migration's bandwidth is set at %s by a %s, then %s", async (version, role, status) => {
    const { volumeId, migrationId } = await migrating();
    const res = await action(role, volumeId, bandwidth(MIB), version);
    expect(res.status).toBe(status);
    if (status === 403) {
      expect(res.body.forbidden.message).toBe("Policy doesn't allow volume_extension:volume_admin_actions:migrate_volume_set_bandwidth to be performed.");
    }
    expect((await rows(volumeId, migrationId)).bandwidth).toBe(status === 202 ? String(MIB) : null);
  });

  it.each(matrix.map(([v, r, s]): [string, Role, number] => [v, r, s === 202 ? 200 : s]))(
    'when an estimate is asked at %s by a %s, then %s',
    async (version, role, status) => {
      const volumeId = await volume(null);
      const res = await post(role, `/v3/${P}/volume-migrations/estimate`, { volume_id: volumeId, host: 'host-b@file#pool1' }, version);
      expect(res.status).toBe(status);
      if (status === 404) expect(res.body).toEqual({ itemNotFound: { code: 404, message: 'The resource could not be found.' } });
      if (status === 403) expect(res.body.forbidden.message).toBe("Policy doesn't allow volume_extension:volume_migrations:estimate to be performed.");
    },
  );
});

describe('os-migrate_volume_cancel', () => {
  it('when a host copy is cancelled before its switch-over, then the volume and the row are cancelling and the source host is told to stop', async () => {
    const { volumeId, migrationId } = await migrating();
    expect((await action('admin', volumeId, CANCEL)).status).toBe(202);
    expect(await rows(volumeId, migrationId)).toMatchObject({ volume: 'cancelling', migration: 'cancelling' });
    expect(cancelsAsked).toContain(migrationId);
  });

  it('when it is repeated, then it is accepted again and nothing changes', async () => {
    const { volumeId, migrationId } = await migrating();
    await action('admin', volumeId, CANCEL);
    const asked = cancelsAsked.length;
    expect((await action('admin', volumeId, CANCEL)).status).toBe(202);
    expect(cancelsAsked.length).toBe(asked);
    expect((await rows(volumeId, migrationId)).migration).toBe('cancelling');
  });

  it('when no scheduler placed the migration yet, then it ends cancelled at once and the volume gets its status back', async () => {
    const { volumeId, migrationId } = await migrating(null, 'starting');
    expect((await action('admin', volumeId, CANCEL)).status).toBe(202);
    expect(await rows(volumeId, migrationId)).toEqual({ volume: 'cancelled', status: 'available', migration: 'cancelled', bandwidth: null });
    expect(cancelsAsked).not.toContain(migrationId);
  });

  it('when the migration is past its switch-over, then 400 says so', async () => {
    const volumeId = await volume('success');
    await migration(volumeId, 'success', 'host-assisted');
    expect(await action('admin', volumeId, CANCEL)).toEqual({
      status: 400,
      body: {
        badRequest: {
          code: 400,
          message: `Invalid volume: The migration of volume ${volumeId} is past its switch-over to the destination and cannot be cancelled.`,
        },
      },
    });
  });

  it('when nothing migrates, then 400; a body with arguments is 400 too', async () => {
    const volumeId = await volume(null);
    expect((await action('admin', volumeId, CANCEL)).body.badRequest.message).toBe(
      `Invalid volume: Volume ${volumeId} is not being migrated; there is nothing to cancel.`,
    );
    const { volumeId: other } = await migrating();
    expect((await action('admin', other, { 'os-migrate_volume_cancel': { force: true } })).status).toBe(400);
  });

  it('when the compute side rolls its swap back, then 202 (its completion with error ends it cancelled)', async () => {
    swapCancel = { outcome: 'cancelled', phase: 'cancelled' };
    const { volumeId, migrationId } = await migrating('compute-swap');
    expect((await action('admin', volumeId, CANCEL)).status).toBe(202);
    expect((await rows(volumeId, migrationId)).migration).toBe('cancelling');
  });

  it('when the swap is by a real Nova, then 400 says Nova cannot cancel it, and the migration goes on', async () => {
    swapCancel = { outcome: 'unsupported', phase: 'migrating' as never };
    const { volumeId, migrationId } = await migrating('compute-swap');
    const res = await action('admin', volumeId, CANCEL);
    expect(res).toEqual({
      status: 400,
      body: { badRequest: { code: 400, message: `Invalid volume: The migration of volume ${volumeId} is a swap by Nova, which cannot cancel a volume swap; it goes on.` } },
    });
    expect(await rows(volumeId, migrationId)).toMatchObject({ volume: 'migrating', migration: 'migrating' });
  });

  it('when the swap is past its pivot, then 400 past the switch-over, and the migration goes on', async () => {
    swapCancel = { outcome: 'past-pivot', phase: 'completing' };
    const { volumeId, migrationId } = await migrating('compute-swap');
    expect((await action('admin', volumeId, CANCEL)).body.badRequest.message).toMatch(/past its switch-over/);
    expect(await rows(volumeId, migrationId)).toMatchObject({ volume: 'migrating', migration: 'migrating' });
  });
});

describe('os-migrate_volume_set_bandwidth', () => {
  it('when set, then the row keeps it and the source host is told; null returns to the host default', async () => {
    const { volumeId, migrationId } = await migrating();
    expect((await action('admin', volumeId, bandwidth(4 * MIB))).status).toBe(202);
    expect((await rows(volumeId, migrationId)).bandwidth).toBe(String(4 * MIB));
    expect(bandwidthsAsked).toContainEqual({ migrationId, bytesPerSecond: 4 * MIB });
    expect((await action('admin', volumeId, bandwidth(null))).status).toBe(202);
    expect((await rows(volumeId, migrationId)).bandwidth).toBeNull();
    expect(bandwidthsAsked).toContainEqual({ migrationId, bytesPerSecond: null });
  });

  it('when nothing migrates, then 400; a limit that is not a positive whole number is 400', async () => {
    const volumeId = await volume(null);
    expect((await action('admin', volumeId, bandwidth(MIB))).body.badRequest.message).toBe(
      `Invalid volume: Volume ${volumeId} is not being migrated; there is no copy to limit.`,
    );
    const { volumeId: other, migrationId } = await migrating();
    expect((await action('admin', other, bandwidth(0))).status).toBe(400);
    expect((await action('admin', other, { 'os-migrate_volume_set_bandwidth': { bytes_per_second: '10' } })).status).toBe(400);
    expect((await rows(other, migrationId)).bandwidth).toBeNull();
  });
});

describe('POST /volume-migrations/estimate', () => {
  const estimate = (body: unknown) => post('admin', `/v3/${P}/volume-migrations/estimate`, body);

  it('when copies between the two hosts are recorded, then the estimate goes by the unthrottled ones, on the allocated bytes, capped by the bandwidth asked for', async () => {
    // Finished copies host-a -> host-b. Without a limit of their own: 48 MiB in 8 s and 24 MiB in
    // 4 s, 6 MiB/s. With one, what its limit allowed, not what the hosts can: 12 MiB in 12 s at
    // 1 MiB/s from the start, and 10 MiB in 10 s limited for a while, then returned to the host's default.
    const copies: [number, number, number | null][] = [
      [48 * MIB, 8, null],
      [24 * MIB, 4, null],
      [12 * MIB, 12, MIB],
      [10 * MIB, 10, null],
    ];
    const recorded: string[] = [];
    for (const [read, seconds, limit] of copies) {
      const volumeId = await volume(null);
      const { rows: [row] } = await sql.query(
        `INSERT INTO volume_migrations (id, volume_id, source_host, dest_host, mode, status, bytes_total, read_bytes, phase, bandwidth_limit, started_at, updated_at, finished_at)
         VALUES ($1, $2, 'host-a@file#pool1', 'host-b@file#pool1', 'host-assisted', 'success', ${GIB}, $3, 'done', $5,
                 now() - make_interval(secs => $4), now(), now()) RETURNING id`,
        [randomUUID(), volumeId, read, seconds, limit],
      );
      recorded.push(row.id);
    }
    await sql.query(`UPDATE volume_migrations SET bandwidth_limit = $2 WHERE id = $1`, [recorded[3], 2 * MIB]);
    await sql.query(`UPDATE volume_migrations SET bandwidth_limit = NULL WHERE id = $1`, [recorded[3]]);
    const volumeId = await volume(null);
    const res = await estimate({ volume_id: volumeId, host: 'host-b@file#pool1' });
    expect(res.status).toBe(200);
    expect(res.body.estimate).toMatchObject({
      bytes_to_copy: 96 * MIB,
      total_bytes: GIB,
      basis: { migrations: 2, between: ['host-a@file', 'host-b@file'] },
      confidence: 'history',
      limited_by: null,
    });
    expect(res.body.estimate.expected_rate_bytes_per_second).toBeCloseTo(6 * MIB, -4);
    expect(res.body.estimate.expected_seconds).toBe(16);

    // The bandwidth the admin is about to ask for, below the hosts' pace (and the host's 8 MiB/s): it is the rate.
    const limited = await estimate({ volume_id: volumeId, host: 'host-b@file#pool1', bandwidth_bytes_per_second: 4 * MIB });
    expect(limited.status).toBe(200);
    expect(limited.body.estimate).toMatchObject({
      expected_rate_bytes_per_second: 4 * MIB,
      expected_seconds: 24,
      basis: { migrations: 2 },
      confidence: 'history',
      limited_by: 'bandwidth',
    });
    // Above them: the pace still is.
    const loose = await estimate({ volume_id: volumeId, host: 'host-b@file#pool1', bandwidth_bytes_per_second: GIB });
    expect(loose.body.estimate).toMatchObject({ expected_seconds: 16, limited_by: null });
    // No side effect: nothing migrates.
    expect((await sql.query(`SELECT migration_status FROM volumes WHERE id = $1`, [volumeId])).rows[0].migration_status).toBeNull();
  });

  it("when it is asked as os-migrate_volume would be refused, then it is refused with os-migrate_volume's errors", async () => {
    const idle = await volume(null);
    expect((await estimate({ volume_id: idle, host: 'host-z@file#pool1' })).body).toEqual({
      badRequest: { code: 400, message: "Invalid host: No available service named 'host-z@file#pool1'" },
    });
    expect((await estimate({ volume_id: randomUUID(), host: 'host-b@file#pool1' })).status).toBe(404);
    const { volumeId } = await migrating();
    expect((await estimate({ volume_id: volumeId, host: 'host-b@file#pool1' })).body.badRequest.message).toMatch(
      new RegExp(`^Invalid volume: Volume ${volumeId} status must be available or in-use, must not be migrating`),
    );
    expect((await estimate({ volume_id: idle })).body.badRequest.message).toBe("'host' is a required property");
    // The bandwidth as os-migrate_volume's at 3.73: the same refusal, word for word.
    const zero = { bandwidth_bytes_per_second: 0 };
    const refused = await estimate({ volume_id: idle, host: 'host-b@file#pool1', ...zero });
    expect(refused).toEqual(await action('admin', idle, { 'os-migrate_volume': { host: 'host-b@file#pool1', ...zero } }));
    expect(refused.body.badRequest.message).toBe('Invalid input for field/attribute bandwidth_bytes_per_second. Value: 0. 0 is less than the minimum of 1');
  });
});
