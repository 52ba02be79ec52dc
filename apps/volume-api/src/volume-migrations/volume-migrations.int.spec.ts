import { randomBytes, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import pino from 'pino';
import { MigrationSubjects } from '@volume/contracts';
import { NatsService } from '@volume/platform';
import { createTestDatabase, testNatsUrl, TestDatabase } from '@volume/testing';
import { ApiApp, createApiApp } from '../bootstrap';

// GET /volume-migrations(/{id}) through the real API on PostgreSQL and NATS: the version x role
// matrix, the exact resource, paging, filters, tenancy, and the live source (a stand-in source
// worker answers the progress call). Migrations are rows made with SQL.

jest.setTimeout(60_000);

const P = 'aaaa1111aaaa1111aaaa1111aaaa1111';
const Q = 'bbbb2222bbbb2222bbbb2222bbbb2222';
const CALLERS = {
  admin: { 'x-auth-token': `admin:${P}` },
  member: { 'x-auth-token': `demo:${P}` },
  reader: { 'x-auth-token': `auditor:${P}`, 'x-roles': 'reader' },
};
type Role = keyof typeof CALLERS;
const RESOURCE_KEYS = [
  'id', 'volume_id', 'project_id', 'source_host', 'destination_host', 'mode', 'phase', 'status', 'progress', 'total_bytes',
  'processed_bytes', 'bytes_to_read', 'read_bytes', 'rate_bytes_per_second', 'eta_seconds', 'eta_state', 'last_progress_at',
  'stalled', 'bandwidth_limit', 'started_at', 'updated_at', 'finished_at', 'duration_seconds', 'average_rate_bytes_per_second',
  'error', 'observed_at', 'source',
];
const GIB = 1024 ** 3;

let db: TestDatabase;
let sql: Client;
let api: ApiApp;
let worker: NatsService;
const prefix = `t${randomBytes(6).toString('hex')}`;
/** What the stand-in worker of host-a answers, per volume. */
const liveReplies = new Map<string, object>();

async function volume(projectId: string, migrationStatus: string | null = null, progress: string | null = null): Promise<string> {
  const id = randomUUID();
  await sql.query(
    `INSERT INTO volumes (id, project_id, user_id, size, status, availability_zone, volume_type_id, host, migration_status, migration_progress, created_at)
     SELECT $1, $2, 'demo', 10, 'available', 'nova', id, 'host-a@file#pool1', $3, $4, now() FROM volume_types WHERE name = '__DEFAULT__'`,
    [id, projectId, migrationStatus, progress],
  );
  return id;
}

interface Row {
  volumeId: string;
  status: string;
  mode?: string | null;
  startedSecondsAgo: number;
  finishedSecondsAgo?: number;
  dest?: string;
  bytesDone?: number;
  extra?: string;
}

/** A migration's row; project_id comes from the volume (the trigger). */
async function migration(r: Row): Promise<string> {
  const id = randomUUID();
  await sql.query(
    `INSERT INTO volume_migrations (id, volume_id, source_host, dest_host, mode, status, bytes_total, bytes_done, started_at, updated_at, finished_at)
     VALUES ($1, $2, 'host-a@file#pool1', $3, $4, $5, ${10 * GIB}, $6, now() - make_interval(secs => $7), now() - make_interval(secs => $7 / 2),
             CASE WHEN $8::float IS NULL THEN NULL ELSE now() - make_interval(secs => $8) END)`,
    [id, r.volumeId, r.dest ?? 'host-b@file#pool1', r.mode === undefined ? 'host-assisted' : r.mode, r.status, r.bytesDone ?? 0, r.startedSecondsAgo, r.finishedSecondsAgo ?? null],
  );
  return id;
}

function startApi(): Promise<ApiApp> {
  return createApiApp({
    DATABASE_URL: db.url,
    NATS_URL: testNatsUrl(),
    NATS_SUBJECT_PREFIX: prefix,
    LOG_LEVEL: 'silent',
    API_PORT: '0',
    OSAPI_MAX_LIMIT: '1000',
  });
}

async function call(role: Role, url: string, version = '3.73') {
  const res = await api.app.inject({ method: 'GET', url, headers: { host: 'localhost', ...CALLERS[role], 'openstack-api-version': `volume ${version}` } });
  return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : undefined };
}

const ids: Record<string, string> = {};
const vols: Record<string, string> = {};

beforeAll(async () => {
  db = await createTestDatabase('volmigs');
  sql = new Client({ connectionString: db.url });
  await sql.connect();
  worker = await NatsService.connect(testNatsUrl(), 'worker-stand-in', pino({ level: 'silent' }), prefix);
  worker.serve(MigrationSubjects.progress, ({ volumeId }) => (liveReplies.get(volumeId) ?? { progress: null }) as never, { host: 'host-a' });
  await worker.connection.flush();
  vols.running = await volume(P, 'migrating', '41');
  vols.done = await volume(P);
  vols.failed = await volume(P);
  vols.other = await volume(Q);
  ids.old = await migration({ volumeId: vols.done, status: 'success', startedSecondsAgo: 400, finishedSecondsAgo: 300, bytesDone: 10 * GIB });
  ids.failed = await migration({ volumeId: vols.failed, status: 'error', startedSecondsAgo: 200, finishedSecondsAgo: 150, dest: 'host-c@file#pool2' });
  ids.running = await migration({ volumeId: vols.running, status: 'migrating', startedSecondsAgo: 100, bytesDone: 4 * GIB });
  ids.other = await migration({ volumeId: vols.other, status: 'success', startedSecondsAgo: 50, finishedSecondsAgo: 40, bytesDone: 10 * GIB });
  // As a copy records: the volume's percent with the bytes it was taken from, ahead of the durable checkpoint (bytes_done).
  await sql.query(
    `UPDATE volume_migrations SET phase = 'copying', bytes_to_read = $2, read_bytes = $3, rate_bytes_per_second = $4, last_progress_at = now(), progress = 41, processed_bytes = $5
      WHERE id = $1`,
    [ids.running, 8 * GIB, 3 * GIB, 50 * 1024 * 1024, 4.125 * GIB],
  );
  api = await startApi();
});

afterAll(async () => {
  await api?.app.close();
  if (worker?.isConnected) await worker.drain();
  await sql?.end();
  await db?.drop();
});

describe('the version x role matrix of the volume-migrations routes', () => {
  const matrix: [string, Role, number][] = [
    ['3.73', 'admin', 200],
    ['3.72', 'admin', 404],
    ['3.0', 'admin', 404],
    ['3.73', 'member', 403],
    ['3.73', 'reader', 403],
    ['3.72', 'member', 404],
  ];

  it.each(matrix)('when the list and a migration are asked at %s by a %s, then %s', async (version, role, status) => {
    const list = await call(role, '/v3/volume-migrations', version);
    const show = await call(role, `/v3/${P}/volume-migrations/${ids.running}`, version);
    expect([list.status, show.status]).toEqual([status, status]);
    if (status === 404) expect(list.body).toEqual({ itemNotFound: { code: 404, message: 'The resource could not be found.' } });
    if (status === 403) {
      expect(list.body).toEqual({ forbidden: { code: 403, message: "Policy doesn't allow volume_extension:volume_migrations:index to be performed." } });
      expect(show.body.forbidden.message).toBe("Policy doesn't allow volume_extension:volume_migrations:show to be performed.");
    }
  });
});

describe('GET /volume-migrations/{id}', () => {
  it('when a finished migration is shown, then it has exactly the resource keys, done, with its duration and average rate', async () => {
    const { status, body } = await call('admin', `/v3/volume-migrations/${ids.old}`);
    expect(status).toBe(200);
    expect(Object.keys(body.volume_migration).sort()).toEqual([...RESOURCE_KEYS].sort());
    expect(body.volume_migration).toMatchObject({
      id: ids.old,
      volume_id: vols.done,
      project_id: P,
      source_host: 'host-a@file#pool1',
      destination_host: 'host-b@file#pool1',
      mode: 'host-assisted',
      phase: 'done',
      status: 'success',
      progress: 100,
      total_bytes: 10 * GIB,
      processed_bytes: 10 * GIB,
      eta_seconds: 0,
      eta_state: 'ready',
      stalled: false,
      bandwidth_limit: null,
      source: 'persisted',
    });
    expect(body.volume_migration.duration_seconds).toBeCloseTo(100, 0);
    expect(body.volume_migration.average_rate_bytes_per_second).toBeCloseTo((10 * GIB) / 100, -6);
  });

  it('when a running migration\'s worker does not know it, then its row answers (persisted): the percent the volume shows with the bytes it was taken from, not the checkpoint\'s', async () => {
    const { body } = await call('admin', `/v3/volume-migrations/${ids.running}`);
    expect(body.volume_migration).toMatchObject({
      status: 'running',
      phase: 'copying',
      progress: 41,
      processed_bytes: 4.125 * GIB,
      bytes_to_read: 8 * GIB,
      read_bytes: 3 * GIB,
      rate_bytes_per_second: 50 * 1024 * 1024,
      eta_seconds: Math.ceil((5 * 1024) / 50),
      eta_state: 'ready',
      source: 'persisted',
      finished_at: null,
    });
  });

  it('when its source worker answers, then the figures are live, observed now', async () => {
    liveReplies.set(vols.running, {
      progress: '45', migrationId: ids.running, bytesDone: 4.5 * GIB, bytesTotal: 10 * GIB, bytesToRead: 8 * GIB, readBytes: 3.5 * GIB,
      rateBytesPerSecond: 10 * 1024 * 1024, etaSeconds: 460, etaState: 'throttled', stalled: false, lastProgressAt: new Date().toISOString(),
    });
    try {
      const { body } = await call('admin', `/v3/volume-migrations/${ids.running}`);
      expect(body.volume_migration).toMatchObject({ source: 'live', progress: 45, processed_bytes: 4.5 * GIB, eta_seconds: 460, eta_state: 'throttled' });
    } finally {
      liveReplies.delete(vols.running);
    }
  });

  it('when the row has not moved for longer than MIGRATION_STALL_WARN_S, then it is flagged stalled, without an ETA', async () => {
    await sql.query(`UPDATE volume_migrations SET last_progress_at = now() - interval '10 minutes' WHERE id = $1`, [ids.running]);
    try {
      const { body } = await call('admin', `/v3/volume-migrations/${ids.running}`);
      expect(body.volume_migration).toMatchObject({ stalled: true, eta_state: 'stalled', eta_seconds: null });
    } finally {
      await sql.query(`UPDATE volume_migrations SET last_progress_at = now() WHERE id = $1`, [ids.running]);
    }
  });

  it.each(['not-a-uuid', randomUUID()])('when the id %s names no migration, then 404 with Cinder\'s body', async (id) => {
    expect(await call('admin', `/v3/volume-migrations/${id}`)).toEqual({
      status: 404,
      body: { itemNotFound: { code: 404, message: `Volume migration ${id} could not be found.` } },
    });
  });

  it("when an admin shows another project's migration, then it is there (admins see every project)", async () => {
    expect((await call('admin', `/v3/volume-migrations/${ids.other}`)).body.volume_migration.project_id).toBe(Q);
  });
});

describe('GET /volume-migrations', () => {
  const listed = async (query = '') => (await call('admin', `/v3/${P}/volume-migrations${query}`)).body;
  const idsOf = (body: { volume_migrations: { id: string }[] }) => body.volume_migrations.map((m) => m.id);

  it("when an admin lists, then the own project's migrations come newest first; all_tenants adds the others", async () => {
    expect(idsOf(await listed())).toEqual([ids.running, ids.failed, ids.old]);
    expect(idsOf(await listed('?all_tenants=1'))).toEqual([ids.other, ids.running, ids.failed, ids.old]);
  });

  it('when paged by limit and marker, then each page follows the last and a full page carries the next link', async () => {
    const first = await listed('?all_tenants=1&limit=2&with_count=true');
    expect(idsOf(first)).toEqual([ids.other, ids.running]);
    expect(first.count).toBe(4);
    const next = new URL(first.volume_migrations_links[0].href);
    expect(next.pathname).toBe(`/v3/${P}/volume-migrations`);
    expect(next.searchParams.get('marker')).toBe(ids.running);
    expect(idsOf(await listed(`${next.search}`))).toEqual([ids.failed, ids.old]);
  });

  it.each([
    ['?status=running', () => [ids.running]],
    ['?status=error', () => [ids.failed]],
    ['?status=cancelled', () => []],
    [`?volume_id=VOL`, () => [ids.old]],
    ['?volume_id=nope', () => []],
    ['?source_host=host-a', () => [ids.running, ids.failed, ids.old]],
    ['?destination_host=host-c@file', () => [ids.failed]],
    ['?destination_host=host-b@file%23pool1', () => [ids.running, ids.old]],
  ])('when filtered by %s, then only the matching ones', async (query, expected) => {
    expect(idsOf(await listed(query.replace('VOL', vols.done)))).toEqual(expected());
  });

  it('when filtered by changes-since, then only those updated since', async () => {
    const since = new Date(Date.now() - 120_000).toISOString();
    expect(idsOf(await listed(`?changes-since=${since}`))).toEqual([ids.running, ids.failed]);
  });

  it.each([
    ['?sort=created_at', 'Invalid filters sort are found in query options.'],
    ['?host=x', 'Invalid filters host are found in query options.'],
    ['?status=paused', 'Invalid input received: status must be one of running, success, error, cancelling, cancelled, not paused'],
    ['?changes-since=yesterday', 'Invalid input received: Invalid changes-since value: yesterday'],
    ['?limit=x', 'limit param must be an integer'],
    ['?with_count=maybe', "Value 'maybe' for 'with_count' is not a boolean."],
  ])('when asked %s, then 400 with Cinder\'s body', async (query, message) => {
    expect(await call('admin', `/v3/volume-migrations${query}`)).toEqual({ status: 400, body: { badRequest: { code: 400, message } } });
  });

  it('when the marker is unknown, then 404', async () => {
    const marker = randomUUID();
    expect((await call('admin', `/v3/volume-migrations?marker=${marker}`)).body).toEqual({
      itemNotFound: { code: 404, message: `Volume migration ${marker} could not be found.` },
    });
  });

  it('when the API restarts, then the history is still there', async () => {
    await api.app.close();
    api = await startApi();
    expect(idsOf(await listed())).toEqual([ids.running, ids.failed, ids.old]);
  });
});

describe('migration_progress in GET /volumes/detail (3.73)', () => {
  it('when an admin lists at 3.73, then the migrating volume shows its persisted percent; at 3.72 and to a member it does not', async () => {
    const progressOf = async (role: Role, version: string) => {
      const { body } = await call(role, `/v3/volumes/detail`, version);
      return body.volumes.find((v: { id: string }) => v.id === vols.running)?.migration_progress;
    };
    expect(await progressOf('admin', '3.73')).toBe('41');
    expect(await progressOf('admin', '3.72')).toBeUndefined();
    expect(await progressOf('member', '3.73')).toBeUndefined();
  });
});

describe('GET /volume-migrations/{id}/progress (3.73)', () => {
  it('when a migration copied in steps and ended, then its progress lists each step in order, from its notifications, to its end', async () => {
    const volumeId = await volume(P, 'migrating', '0');
    const id = await migration({ volumeId, status: 'migrating', startedSecondsAgo: 10 });
    for (const gib of [1, 2, 3]) {
      await sql.query(`UPDATE volume_migrations SET phase = 'copying', bytes_done = $2, last_progress_at = now(), updated_at = now() WHERE id = $1`, [id, gib * GIB]);
      // The relay keeps a second's first progress: one step a second.
      await new Promise((resolve) => setTimeout(resolve, 1_100));
    }
    await sql.query(`UPDATE volume_migrations SET status = 'success', bytes_done = $2, finished_at = now(), updated_at = now() WHERE id = $1`, [id, 10 * GIB]);
    let samples: { event_type: string; processed_bytes: number; at: string; status: string }[] = [];
    for (const deadline = Date.now() + 15_000; Date.now() < deadline && samples.at(-1)?.event_type !== 'volume.migration.end'; ) {
      const res = await call('admin', `/v3/${P}/volume-migrations/${id}/progress`);
      expect(res.status).toBe(200);
      samples = res.body.progress_samples;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(samples.map((s) => s.processed_bytes)).toEqual(expect.arrayContaining([1 * GIB, 2 * GIB, 3 * GIB]));
    expect(samples.at(-1)).toMatchObject({ event_type: 'volume.migration.end', status: 'success', processed_bytes: 10 * GIB });
    const bytes = samples.map((s) => s.processed_bytes);
    expect([...bytes].sort((a, b) => a - b)).toEqual(bytes);
    const times = samples.map((s) => Date.parse(`${s.at}Z`));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });

  it.each([
    ['3.72', 'admin', 404],
    ['3.73', 'member', 403],
    ['3.73', 'reader', 403],
  ] as [string, Role, number][])('when it is asked at %s by a %s, then %s', async (version, role, status) => {
    expect((await call(role, `/v3/${P}/volume-migrations/${ids.old}/progress`, version)).status).toBe(status);
  });

  it('when the migration is unknown, then 404 with Cinder\'s body', async () => {
    expect(await call('admin', `/v3/${P}/volume-migrations/${randomUUID()}/progress`)).toEqual({
      status: 404,
      body: { itemNotFound: { code: 404, message: expect.any(String) } },
    });
  });
});
