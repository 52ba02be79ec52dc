import { randomBytes, randomUUID } from 'node:crypto';
import { AddressInfo } from 'node:net';
import { connect, JSONCodec, NatsConnection } from 'nats';
import { Client } from 'pg';
import { MigrationNotification } from '@volume/contracts';
import { createTestDatabase, SseClient, SseEvent, startNatsServer, testNatsUrl, TestDatabase } from '@volume/testing';
import { ApiApp, createApiApp } from '../../bootstrap';
import { MigrationEventStreams } from './migration-event-streams.service';

// Migration events through two real API replicas on one PostgreSQL and one NATS: rows written
// with SQL (as any writer would) are announced by the database, relayed by both replicas onto one
// JetStream stream (one copy each), and read back as Server-Sent Events from either replica.

jest.setTimeout(90_000);

const P = 'cccc3333cccc3333cccc3333cccc3333';
const Q = 'dddd4444dddd4444dddd4444dddd4444';
const ADMIN = { 'x-auth-token': `admin:${P}`, 'openstack-api-version': 'volume 3.73' };
const prefix = `t${randomBytes(6).toString('hex')}`;
const STREAM = `VOLUME_NOTIFICATIONS_${prefix}`;

let db: TestDatabase;
let sql: Client;
let nc: NatsConnection;
const replicas: { api: ApiApp; url: string }[] = [];
const clients: SseClient[] = [];

async function startReplica(): Promise<{ api: ApiApp; url: string }> {
  const api = await createApiApp({
    DATABASE_URL: db.url,
    NATS_URL: testNatsUrl(),
    NATS_SUBJECT_PREFIX: prefix,
    LOG_LEVEL: 'silent',
    MIGRATION_EVENTS_HEARTBEAT_S: '1',
    // Tight server timeouts: a stream outlives them all (its request is complete; its heartbeat keeps the socket busy).
    HTTP_HEADERS_TIMEOUT_MS: '500',
    HTTP_REQUEST_TIMEOUT_MS: '1000',
    HTTP_CONNECTION_TIMEOUT_MS: '3000',
  });
  await api.app.listen(0, '127.0.0.1');
  const { port } = api.app.getHttpServer().address() as AddressInfo;
  return { api, url: `http://127.0.0.1:${port}/v3/${P}` };
}

async function sse(replica: number, path: string, headers: Record<string, string> = ADMIN): Promise<SseClient> {
  const c = await SseClient.open(`${replicas[replica].url}${path}`, headers);
  clients.push(c);
  return c;
}

async function volume(projectId: string): Promise<string> {
  const id = randomUUID();
  await sql.query(
    `INSERT INTO volumes (id, project_id, user_id, size, status, availability_zone, volume_type_id, host, migration_status, created_at)
     SELECT $1, $2, 'demo', 1, 'available', 'nova', id, 'host-a@file#pool1', 'migrating', now() FROM volume_types WHERE name = '__DEFAULT__'`,
    [id, projectId],
  );
  return id;
}

async function startMigration(projectId: string): Promise<string> {
  const id = randomUUID();
  await sql.query(
    `INSERT INTO volume_migrations (id, volume_id, source_host, dest_host, mode, status, bytes_total, bytes_done, started_at, updated_at)
     VALUES ($1, $2, 'host-a@file#pool1', 'host-b@file#pool1', 'host-assisted', 'migrating', 1073741824, 0, now(), now())`,
    [id, await volume(projectId)],
  );
  return id;
}

/** A copy writing its figures every 150 ms for `ms` (far more often than events may go), then ending. */
async function runCopy(id: string, ms: number, end = 'success'): Promise<void> {
  const steps = Math.floor(ms / 150);
  for (let i = 1; i <= steps; i++) {
    await sql.query(`UPDATE volume_migrations SET phase = 'copying', bytes_done = $2, read_bytes = $2, updated_at = now() WHERE id = $1`, [id, i * 1024 * 1024]);
    await new Promise((r) => setTimeout(r, 150));
  }
  await sql.query(`UPDATE volume_migrations SET status = $2, bytes_done = bytes_total, finished_at = now(), updated_at = now() WHERE id = $1`, [id, end]);
}

const data = (e: SseEvent) => JSON.parse(e.data) as { event_type: string; volume_migration: Record<string, unknown> };
const of = (c: SseClient, id: string) => c.events.filter((e) => data(e).volume_migration.id === id);

/** Every notification of one migration the stream holds, in order. */
async function notifications(id: string): Promise<MigrationNotification[]> {
  const js = nc.jetstream();
  const consumer = await js.consumers.get(STREAM, { filterSubjects: `${prefix}.notifications.volume.migration.${id}` });
  const out: MigrationNotification[] = [];
  const codec = JSONCodec<MigrationNotification>();
  for (;;) {
    const m = await consumer.next({ expires: 1_000 });
    if (!m) break;
    out.push(codec.decode(m.data));
  }
  await consumer.delete().catch(() => undefined);
  return out;
}

async function openStreams(): Promise<number> {
  return replicas.reduce((n, r) => n + r.api.app.get(MigrationEventStreams).openCount, 0);
}

async function consumerCount(): Promise<number> {
  const jsm = await nc.jetstreamManager();
  return (await jsm.streams.info(STREAM)).state.consumer_count;
}

async function eventually(check: () => Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  db = await createTestDatabase('migevents');
  sql = new Client({ connectionString: db.url });
  await sql.connect();
  nc = await connect({ servers: testNatsUrl() });
  replicas.push(await startReplica(), await startReplica());
});

afterAll(async () => {
  for (const c of clients) c.close();
  for (const r of replicas) await r.api.app.close();
  const jsm = await nc?.jetstreamManager();
  await jsm?.streams.delete(STREAM).catch(() => undefined);
  await nc?.close();
  await sql?.end();
  await db?.drop();
});

describe('GET /volume-migrations/events and /volume-migrations/{id}/events (3.73, two replicas, real PostgreSQL and NATS)', () => {
  it('when callers are not allowed, then they get Cinder faults before any stream: 401, 403, 404 below 3.73 and for an unknown id, 400 for a filter', async () => {
    const cases: [string, Record<string, string>, number, string][] = [
      ['/volume-migrations/events', { 'openstack-api-version': 'volume 3.73' }, 401, 'unauthorized'],
      ['/volume-migrations/events', { 'x-auth-token': `demo:${P}`, 'openstack-api-version': 'volume 3.73' }, 403, 'forbidden'],
      [`/volume-migrations/${randomUUID()}/events`, { 'x-auth-token': `demo:${P}`, 'openstack-api-version': 'volume 3.73' }, 403, 'forbidden'],
      ['/volume-migrations/events', { ...ADMIN, 'openstack-api-version': 'volume 3.72' }, 404, 'itemNotFound'],
      [`/volume-migrations/${randomUUID()}/events`, ADMIN, 404, 'itemNotFound'],
      ['/volume-migrations/events?status=running', ADMIN, 400, 'badRequest'],
    ];
    for (const [path, headers, status, key] of cases) {
      const c = await sse(0, path, headers);
      await c.ended;
      expect({ path, status: c.status, type: c.headers['content-type'] }).toEqual({ path, status, type: expect.stringContaining('application/json') });
      expect(JSON.parse(c.body)).toEqual({ [key]: { code: status, message: expect.any(String) } });
    }
    expect(await openStreams()).toBe(0);
  });

  it('when a migration writes its figures often, then every replica streams it in order, one event a second at most, ending with end; each event is once on the stream', async () => {
    const all = [await sse(0, '/volume-migrations/events'), await sse(1, '/volume-migrations/events')];
    const allTenants = await sse(1, '/volume-migrations/events?all_tenants=1');
    expect(all[0].status).toBe(200);
    expect(all[0].headers).toMatchObject({ 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
    expect(all[0].headers['x-openstack-request-id']).toEqual(expect.stringMatching(/^req-/));
    await eventually(async () => (await openStreams()) === 3, 'three streams open');

    const id = await startMigration(P);
    const other = await startMigration(Q);
    const one = await sse(1, `/volume-migrations/${id}/events`);
    await Promise.all([runCopy(id, 3_500), runCopy(other, 600)]);
    await one.ended;
    for (const c of [...all, allTenants]) await c.waitUntil(() => of(c, id).some((e) => e.event === 'end'));

    const seen = of(all[0], id);
    expect(seen[0]).toMatchObject({ event: 'migration' });
    expect(data(seen[0]).event_type).toBe('volume.migration.start');
    expect(seen.at(-1)).toMatchObject({ event: 'end' });
    expect(data(seen.at(-1)!)).toMatchObject({ event_type: 'volume.migration.end', volume_migration: { id, status: 'success', phase: 'done', progress: 100 } });
    const ids = seen.map((e) => Number(e.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
    const progress = seen.filter((e) => e.event === 'migration').slice(1);
    expect(progress.length).toBeGreaterThanOrEqual(2);
    // Sent a second apart at least; received so give or take the delivery's jitter (unthrottled: 150 ms).
    for (let i = 1; i < progress.length; i++) expect(progress[i].receivedAt - progress[i - 1].receivedAt).toBeGreaterThanOrEqual(700);
    expect(progress.length).toBeLessThanOrEqual(Math.ceil((progress.at(-1)!.receivedAt - progress[0].receivedAt) / 1000) + 1);
    const processed = progress.map((e) => data(e).volume_migration.processed_bytes as number);
    expect(processed).toEqual([...processed].sort((a, b) => a - b));

    // The other replica, and the one-migration stream, carry the very same events.
    expect(of(all[1], id).map((e) => e.id)).toEqual(seen.map((e) => e.id));
    expect(one.events.at(-1)?.id).toBe(seen.at(-1)?.id);
    expect(one.events.every((e) => data(e).volume_migration.id === id)).toBe(true);
    // Tenancy: the other project's migration only with all_tenants.
    expect(of(all[0], other)).toEqual([]);
    expect(of(allTenants, other).at(-1)?.event).toBe('end');

    // Two relays, one copy of each event: start and end once, no message id twice.
    const stored = await notifications(id);
    expect(stored.map((n) => n.event_type).filter((t) => t !== 'volume.migration.progress')).toEqual(['volume.migration.start', 'volume.migration.end']);
    expect(new Set(stored.map((n) => n.message_id)).size).toBe(stored.length);
    expect(stored.length).toBeLessThanOrEqual(2 + 6);
    expect(stored[0]).toEqual({
      message_id: expect.any(String),
      publisher_id: 'volume.host-a',
      event_type: 'volume.migration.start',
      priority: 'INFO',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/),
      payload: expect.objectContaining({ id, project_id: P, source_host: 'host-a@file#pool1', status: 'running', source: 'persisted' }),
    });
    for (const c of [...all, allTenants]) c.close();
  });

  it('when a client reconnects with Last-Event-ID, then it gets what it missed, up to the end; after the end it is told 204', async () => {
    const id = await startMigration(P);
    const first = await sse(0, `/volume-migrations/${id}/events`);
    await first.waitForEvents(1);
    first.close();
    await runCopy(id, 1_200, 'error');
    const again = await sse(1, `/volume-migrations/${id}/events`, { ...ADMIN, 'last-event-id': first.events[0].id! });
    await again.ended;
    const missed = again.events;
    expect(missed.length).toBeGreaterThanOrEqual(2);
    expect(Number(missed[0].id)).toBeGreaterThan(Number(first.events[0].id));
    expect(missed.at(-1)).toMatchObject({ event: 'end' });
    expect(data(missed.at(-1)!)).toMatchObject({ event_type: 'volume.migration.error', volume_migration: { status: 'error' } });

    const done = await sse(0, `/volume-migrations/${id}/events`, { ...ADMIN, 'last-event-id': missed.at(-1)!.id! });
    await done.ended;
    expect(done.status).toBe(204);
    // Without an id, a finished migration's stream is its final event, then the end.
    const late = await sse(0, `/volume-migrations/${id}/events`);
    await late.ended;
    expect(late.events.map((e) => [e.id, e.event])).toEqual([[missed.at(-1)!.id, 'end']]);
  });

  it('when a migration that ended a while ago has no final event on the stream, then its stream is its row as the end, and after it 204', async () => {
    const id = randomUUID();
    await sql.query(
      `INSERT INTO volume_migrations (id, volume_id, source_host, dest_host, mode, status, bytes_total, bytes_done, started_at, updated_at, finished_at, error)
       VALUES ($1, $2, 'host-a@file#pool1', 'host-b@file#pool1', 'host-assisted', 'error', 1, 0, now() - interval '1 minute', now(), now() - interval '30 seconds', 'boom')`,
      [id, await volume(P)],
    );
    const c = await sse(0, `/volume-migrations/${id}/events`);
    await c.ended;
    expect(c.events).toHaveLength(1);
    expect(c.events[0]).toMatchObject({ event: 'end', id: expect.stringMatching(/^\d+$/) });
    expect(data(c.events[0])).toMatchObject({ event_type: 'volume.migration.error', volume_migration: { id, status: 'error', error: 'boom' } });
    const again = await sse(1, `/volume-migrations/${id}/events`, { ...ADMIN, 'last-event-id': c.events[0].id! });
    await again.ended;
    expect(again.status).toBe(204);
  });

  it('when a migration ended unrelayed (written as finished), then a replica that starts catches up on its end; when it stops, then its open streams end', async () => {
    const id = randomUUID();
    await sql.query(
      `INSERT INTO volume_migrations (id, volume_id, source_host, dest_host, mode, status, bytes_total, bytes_done, started_at, updated_at, finished_at)
       VALUES ($1, $2, 'host-a@file#pool1', 'host-b@file#pool1', 'host-assisted', 'success', 1, 1, now(), now(), now())`,
      [id, await volume(P)],
    );
    const third = await startReplica();
    try {
      const c = await SseClient.open(`${third.url}/volume-migrations/${id}/events`, ADMIN);
      await c.ended;
      expect(c.events.at(-1)).toMatchObject({ event: 'end', id: expect.stringMatching(/^[1-9]\d*$/) });
      expect(data(c.events.at(-1)!).event_type).toBe('volume.migration.end');

      const open = await SseClient.open(`${third.url}/volume-migrations/events`, ADMIN);
      expect(open.status).toBe(200);
      const closing = Date.now();
      await third.api.app.close();
      await open.ended;
      expect(Date.now() - closing).toBeLessThan(5_000);
    } finally {
      await third.api.app.close();
    }
  });

  it('when nothing changes, then a heartbeat comment comes each second, past every server timeout; when the client goes, then its stream and its consumer go too', async () => {
    const c = await sse(0, '/volume-migrations/events');
    const d = await sse(1, '/volume-migrations/events');
    await c.waitUntil(() => c.comments.filter((x) => x === 'heartbeat').length >= 5, 10_000);
    expect(c.comments.filter((x) => x === 'heartbeat').length).toBeGreaterThanOrEqual(5);
    await eventually(async () => (await consumerCount()) >= 2, 'two consumers');
    c.close();
    d.close();
    await eventually(async () => (await openStreams()) === 0, 'no stream open');
    await eventually(async () => (await consumerCount()) === 0, 'no consumer left on the stream');
  });

  it('when NATS offers no JetStream, then the API does not start, and says why', async () => {
    const plain = await startNatsServer();
    try {
      await expect(createApiApp({ DATABASE_URL: db.url, NATS_URL: plain.url, NATS_SUBJECT_PREFIX: prefix, LOG_LEVEL: 'silent' })).rejects.toThrow(/no JetStream \(run nats-server with -js\)/);
    } finally {
      await plain.stop();
    }
  });
});
