import { randomBytes, randomUUID } from 'node:crypto';
import { AddressInfo } from 'node:net';
import { connect, DeliverPolicy, JSONCodec, NatsConnection } from 'nats';
import { Client } from 'pg';
import { MigrationEventType, MigrationNotification } from '@volume/contracts';
import { DataSource } from 'typeorm';
import { ProgressTracker } from '@volume/domain';
import { endMigrationWithError, MIGRATION_CHANGE_CHANNEL, recordCopyProgress, requestMigrationCancel } from '@volume/persistence';
import { MetricsRegistry } from '@volume/platform';
import {
  createTestDatabase,
  migrationRelayFigures,
  seizeMigrationRelayLock,
  SseClient,
  SseEvent,
  startNatsServer,
  testNatsUrl,
  TestDatabase,
} from '@volume/testing';
import { ApiApp, createApiApp } from '../../bootstrap';
import { MigrationEventStreams } from './migration-event-streams.service';

// Migration events through two real API replicas on one PostgreSQL and one NATS: rows written
// with SQL (as any writer would) are announced by the database, relayed by the one replica that
// holds the relay lock onto one JetStream stream, and read back as Server-Sent Events from either
// replica. The lock changes hands when its holder's connection dies or the holder stops.

jest.setTimeout(90_000);

const P = 'cccc3333cccc3333cccc3333cccc3333';
const Q = 'dddd4444dddd4444dddd4444dddd4444';
const ADMIN = { 'x-auth-token': `admin:${P}`, 'openstack-api-version': 'volume 3.73' };
const prefix = `t${randomBytes(6).toString('hex')}`;
const STREAM = `VOLUME_NOTIFICATIONS_${prefix}`;

let db: TestDatabase;
let sql: Client;
let nc: NatsConnection;
type Replica = { api: ApiApp; url: string };
const replicas: Replica[] = [];
const clients: SseClient[] = [];

async function startReplica(): Promise<Replica> {
  const api = await createApiApp({
    DATABASE_URL: db.url,
    NATS_URL: testNatsUrl(),
    NATS_SUBJECT_PREFIX: prefix,
    LOG_LEVEL: 'silent',
    MIGRATION_EVENTS_HEARTBEAT_S: '1',
    MIGRATION_EVENTS_RELAY_CHECK_S: '1',
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

/** The stream sequences of a migration's notifications after `afterSeq`, in order. */
async function seqsAfter(id: string, afterSeq: number): Promise<number[]> {
  const js = nc.jetstream();
  const consumer = await js.consumers.get(STREAM, { filterSubjects: `${prefix}.notifications.volume.migration.${id}`, opt_start_seq: afterSeq + 1, deliver_policy: DeliverPolicy.StartSequence });
  const out: number[] = [];
  for (;;) {
    const m = await consumer.next({ expires: 1_000 });
    if (!m) break;
    out.push(m.seq);
  }
  await consumer.delete().catch(() => undefined);
  return out;
}

/** The sequence and type of a migration's latest notification on the stream; null when it has none. */
async function lastOnStream(id: string): Promise<{ seq: number; type: MigrationEventType } | null> {
  const jsm = await nc.jetstreamManager();
  const m = await jsm.streams.getMessage(STREAM, { last_by_subj: `${prefix}.notifications.volume.migration.${id}` }).catch(() => null);
  return m && { seq: m.seq, type: JSONCodec<MigrationNotification>().decode(m.data).event_type };
}

const relayOf = (r: Replica) => migrationRelayFigures(r.api.app.get(MetricsRegistry));

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

// A test that fails midway leaves none of its streams open for the next (which counts them).
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});

afterAll(async () => {
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

    // One replica relayed it all, the other none: start and end once, no message id twice.
    const stored = await notifications(id);
    const figures = replicas.map(relayOf);
    expect(figures.filter((f) => f.leader)).toHaveLength(1);
    expect(figures.find((f) => f.leader)!.published).toBeGreaterThanOrEqual(stored.length);
    expect(figures.find((f) => !f.leader)).toEqual({ leader: false, published: 0 });
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

  it('when a client reconnects with Last-Event-ID, then it gets every event it missed, one by one (no throttle on a replay), up to the end; after the end it is told 204', async () => {
    const id = await startMigration(P);
    const first = await sse(0, `/volume-migrations/${id}/events`);
    await first.waitForEvents(1);
    first.close();
    await runCopy(id, 3_200, 'error');
    await eventually(async () => (await lastOnStream(id))?.type === 'volume.migration.error', 'the error on the stream');
    const stored = await seqsAfter(id, Number(first.events[0].id));
    expect(stored.length).toBeGreaterThanOrEqual(4);
    const again = await sse(1, `/volume-migrations/${id}/events`, { ...ADMIN, 'last-event-id': first.events[0].id! });
    await again.ended;
    const missed = again.events;
    expect(missed.map((e) => Number(e.id))).toEqual(stored);
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

  it('when a copy records its percent ahead of its durable checkpoint and is then cancelled, then every event’s percent is that of its own bytes, and none goes back, the cancel included', async () => {
    const id = await startMigration(P);
    const [{ volume_id: volumeId }] = (await sql.query(`SELECT volume_id FROM volume_migrations WHERE id = $1`, [id])).rows;
    const c = await sse(0, `/volume-migrations/${id}/events`);
    await c.waitForEvents(1);
    const em = replicas[0].api.app.get(DataSource).manager;
    const total = 1073741824;
    // As a host copy records: the percent with the bytes processed, the checkpoint two steps (two percent and more) behind them.
    const tracker = new ProgressTracker(total);
    const step = 11 * 1024 * 1024;
    const durable = () => Math.max(0, tracker.processed - 2 * step);
    for (let i = 1; i <= 16; i++) {
      tracker.update(i * step);
      await recordCopyProgress(em, { migrationId: id, volumeId, percent: tracker.percent, processedBytes: tracker.processed, bytesDone: durable() });
      await new Promise((r) => setTimeout(r, 150));
    }
    expect((await requestMigrationCancel(em, volumeId)).verdict).toBe('cancel');
    await new Promise((r) => setTimeout(r, 1_100));
    // The copy finds the volume no longer migrating and ends the migration, which its volume forgets the percent of.
    expect(await recordCopyProgress(em, { migrationId: id, volumeId, percent: '99', processedBytes: total - 1, bytesDone: durable() })).toBe(false);
    await endMigrationWithError(em, { migrationId: id, volumeId, error: 'the copy stopped' });
    await c.ended;

    const last = data(c.events.at(-1)!);
    expect(last).toMatchObject({ event_type: 'volume.migration.cancel', volume_migration: { status: 'cancelled' } });
    // Every event relayed (the stream's), and every one sent (throttled): percent and bytes of one observation.
    const stored = (await notifications(id)).map((n) => n.payload);
    expect(stored.map((p) => p.status)).toEqual(expect.arrayContaining(['running', 'cancelling', 'cancelled']));
    for (const { progress, processed_bytes: processed } of [...stored, ...c.events.map((e) => data(e).volume_migration)]) {
      expect({ progress, processed }).toEqual({ progress: Math.min(99, Math.floor((100 * Number(processed)) / total)), processed });
    }
    const percents = stored.map((p) => Number(p.progress));
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(percents.at(-1)).toBe(17);
  });

  it('when a migration that ended a while ago has no final event on the stream (aged out), then its stream is its row as the end, and after it 204', async () => {
    const id = randomUUID();
    await sql.query(
      `INSERT INTO volume_migrations (id, volume_id, source_host, dest_host, mode, status, bytes_total, bytes_done, started_at, updated_at, finished_at, error, end_relayed)
       VALUES ($1, $2, 'host-a@file#pool1', 'host-b@file#pool1', 'host-assisted', 'error', 1, 0, now() - interval '1 minute', now(), now() - interval '30 seconds', 'boom', true)`,
      [id, await volume(P)],
    );
    // The row's insert is relayed too (its trigger announces it): once it has landed, age it out of
    // the stream, as the stream's max age would. Not waited for, the relay could publish it between
    // the two requests below, and the reconnect would rightly get it (a loaded CI run met that: 200).
    for (const until = Date.now() + 10_000; (await notifications(id)).length === 0 && Date.now() < until; ) await new Promise((r) => setTimeout(r, 100));
    await (await nc.jetstreamManager()).streams.purge(STREAM, { filter: `${prefix}.notifications.volume.migration.${id}` });
    expect(await notifications(id)).toEqual([]);
    const c = await sse(0, `/volume-migrations/${id}/events`);
    await c.ended;
    expect(c.events).toHaveLength(1);
    expect(c.events[0]).toMatchObject({ event: 'end', id: expect.stringMatching(/^\d+$/) });
    expect(data(c.events[0])).toMatchObject({ event_type: 'volume.migration.error', volume_migration: { id, status: 'error', error: 'boom' } });
    const again = await sse(1, `/volume-migrations/${id}/events`, { ...ADMIN, 'last-event-id': c.events[0].id! });
    await again.ended;
    expect(again.status).toBe(204);
  });

  it('when no replica relays while a migration ends, then its end reaches the stream once one leads again, however long ago it ended', async () => {
    const id = await startMigration(P);
    await eventually(async () => (await lastOnStream(id))?.type === 'volume.migration.start', 'its start relayed');
    // The relay's connection dies, and the test keeps the lock: nobody listens while the row ends.
    const lock = await seizeMigrationRelayLock(db.url);
    try {
      await eventually(async () => replicas.every((r) => !relayOf(r).leader), 'no replica leading');
      await sql.query(
        `UPDATE volume_migrations SET status = 'success', bytes_done = bytes_total, finished_at = now() - interval '10 minutes', updated_at = now() WHERE id = $1`,
        [id],
      );
      // Longer than a replica waits to try the lock again: none relays, the stream has only the start.
      await new Promise((r) => setTimeout(r, 1_500));
      expect((await lastOnStream(id))?.type).toBe('volume.migration.start');
    } finally {
      await lock.release();
    }
    await eventually(async () => (await lastOnStream(id))?.type === 'volume.migration.end', 'its end relayed by the next leader', 5_000);
    expect(replicas.filter((r) => relayOf(r).leader)).toHaveLength(1);
    expect((await notifications(id)).map((n) => n.event_type)).toEqual(['volume.migration.start', 'volume.migration.end']);
    expect((await sql.query(`SELECT end_relayed FROM volume_migrations WHERE id = $1`, [id])).rows).toEqual([{ end_relayed: true }]);
    // The stream's end, not the row's stand-in: its id is the stream's.
    const c = await sse(1, `/volume-migrations/${id}/events`);
    await c.ended;
    expect(c.events.map((e) => [e.id, e.event, data(e).event_type])).toEqual([[String((await lastOnStream(id))!.seq), 'end', 'volume.migration.end']]);
  });

  it('when an ending is marked relayed, then PostgreSQL announces nothing (the mark costs no relay work); any other write is announced', async () => {
    const id = await startMigration(P);
    const listener = new Client({ connectionString: db.url });
    await listener.connect();
    const heard: string[] = [];
    listener.on('notification', (n) => heard.push(JSON.parse(n.payload!).id));
    try {
      await listener.query(`LISTEN ${MIGRATION_CHANGE_CHANNEL}`);
      await sql.query(`UPDATE volume_migrations SET end_relayed = true WHERE id = $1`, [id]);
      await sql.query(`UPDATE volume_migrations SET bytes_done = 1 WHERE id = $1`, [id]);
      await eventually(async () => heard.length > 0, 'the figures announced');
      await new Promise((r) => setTimeout(r, 200));
      expect(heard).toEqual([id]);
    } finally {
      await listener.end();
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

  it('when the leading replica stops, then its open streams end, the other replica leads within seconds and events keep flowing; a replica that starts stands by', async () => {
    const leading = replicas.findIndex((r) => relayOf(r).leader);
    expect(leading).toBeGreaterThanOrEqual(0);
    const other = replicas[1 - leading];
    const published = relayOf(other).published;
    const watcher = await sse(1 - leading, '/volume-migrations/events');
    const open = await sse(leading, '/volume-migrations/events');
    expect([watcher.status, open.status]).toEqual([200, 200]);

    const stopping = Date.now();
    await replicas[leading].api.app.close();
    await open.ended;
    expect(Date.now() - stopping).toBeLessThan(5_000);
    await eventually(async () => relayOf(other).leader, 'the other replica leading', 5_000);
    const takeOverMs = Date.now() - stopping;
    replicas[leading] = await startReplica();

    const id = await startMigration(P);
    await runCopy(id, 1_200);
    await watcher.waitUntil(() => of(watcher, id).some((e) => e.event === 'end'));
    const types = of(watcher, id).map((e) => data(e).event_type);
    expect([types[0], types.at(-1)]).toEqual(['volume.migration.start', 'volume.migration.end']);
    expect(relayOf(other).published).toBeGreaterThan(published);
    expect(relayOf(replicas[leading])).toEqual({ leader: false, published: 0 });
    expect(takeOverMs).toBeLessThan(3_000);
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
