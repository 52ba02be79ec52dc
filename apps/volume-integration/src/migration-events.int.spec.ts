import { AddressInfo } from 'node:net';
import { JSONCodec } from 'nats';
import { ApiApp, createApiApp } from '@volume/api-app';
import { MigrationNotification } from '@volume/contracts';
import { MetricsRegistry } from '@volume/platform';
import { killMigrationRelayConnection, migrationRelayFigures, SseClient, SseEvent } from '@volume/testing';
import { ADMIN, PROJECT, startHostCopy, TestStack, writeVolumeData } from '@volume/testing-stack';

// Issue 14 §3 on the real stack: a throttled host copy (API, scheduler, two workers) watched as
// Server-Sent Events through a second API replica, one replica relaying, whose connection to
// PostgreSQL is killed mid-copy, and found afterwards on the JetStream stream of notifications as
// oslo.messaging would carry it.

jest.setTimeout(120_000);

/** Per worker: 40 MiB of data then take about 5 s. */
const LIMIT = 8 * 1024 * 1024;
const HEADERS = { ...ADMIN, 'openstack-api-version': 'volume 3.73' };
/** A replica whose relay lost its connection tries again after a second. */
const API_ENV = { MIGRATION_EVENTS_RELAY_CHECK_S: '1' };

const data = (e: SseEvent) => JSON.parse(e.data) as { event_type: string; volume_migration: Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('migration events on the real stack (3.73)', () => {
  let stack: TestStack;
  let replica: ApiApp;
  const urls: string[] = [];

  beforeAll(async () => {
    stack = await TestStack.start({ workerEnv: { VOLUME_COPY_BPS_LIMIT: String(LIMIT) }, apiEnv: API_ENV });
    await stack.api.app.listen(0, '127.0.0.1');
    replica = await createApiApp({ ...stack.env, ...API_ENV, QUOTA_VOLUMES: '-1', QUOTA_GIGABYTES: '-1' });
    await replica.app.listen(0, '127.0.0.1');
    for (const app of [stack.api.app, replica.app]) urls.push(`http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}/v3/${PROJECT}`);
  });

  afterAll(async () => {
    await replica?.app.close();
    await stack?.stop();
  });

  it('when a throttled copy runs, then a client of either replica sees its events in order, progress rising, ending with end, even when the relay is killed mid-copy; the stream holds start, progress and end', async () => {
    const relays = () => [stack.api.app, replica.app].map((app) => migrationRelayFigures(app.get(MetricsRegistry)));
    const watchers = [await SseClient.open(`${urls[0]}/volume-migrations/events`, HEADERS), await SseClient.open(`${urls[1]}/volume-migrations/events`, HEADERS)];
    const volumeId = await stack.createVolume({ size: 1, name: 'watched' });
    await writeVolumeData(stack, volumeId, [{ offsetMiB: 0, sizeMiB: 40 }]);
    const { dest, migration: listed } = await startHostCopy(stack, volumeId);
    const one = await SseClient.open(`${urls[1]}/volume-migrations/${listed.id}/events`, HEADERS);
    const copyingNow = () => one.events.filter((e) => e.event === 'migration' && data(e).volume_migration.phase === 'copying');
    await one.waitUntil(() => copyingNow().length > 0);
    // One replica relays, the other only serves; then the relay's connection dies.
    expect(relays().map((r) => r.leader).sort()).toEqual([false, true]);
    expect(relays().find((r) => !r.leader)?.published).toBe(0);
    await killMigrationRelayConnection(stack.env.DATABASE_URL);
    const killedAt = Date.now();
    const bytesAtKill = data(copyingNow().at(-1)!).volume_migration.processed_bytes as number;
    await one.ended;
    // Another relay (either replica: the killed one competes again) took over, and the copy went on being streamed.
    expect(relays().filter((r) => r.leader)).toHaveLength(1);
    const after = copyingNow().filter((e) => e.receivedAt > killedAt);
    expect(after.length).toBeGreaterThanOrEqual(1);
    expect(data(after.at(-1)!).volume_migration.processed_bytes).toBeGreaterThan(bytesAtKill);
    for (const w of watchers) await w.waitUntil(() => w.events.some((e) => e.event === 'end' && data(e).volume_migration.id === listed.id), 30_000);

    const events = one.events;
    expect(events.at(-1)).toMatchObject({ event: 'end' });
    expect(data(events.at(-1)!)).toMatchObject({ event_type: 'volume.migration.end', volume_migration: { id: listed.id, status: 'success', progress: 100, destination_host: dest } });
    const copying = events.filter((e) => e.event === 'migration' && data(e).volume_migration.phase === 'copying');
    expect(copying.length).toBeGreaterThanOrEqual(2);
    const processed = copying.map((e) => data(e).volume_migration.processed_bytes as number);
    expect(processed).toEqual([...processed].sort((a, b) => a - b));
    expect(new Set(processed).size).toBeGreaterThanOrEqual(2);
    // At most one a second (sent so; received give or take the delivery's jitter).
    for (let i = 1; i < copying.length; i++) expect(copying[i].receivedAt - copying[i - 1].receivedAt).toBeGreaterThanOrEqual(700);
    const ids = events.map((e) => Number(e.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));

    // Both replicas' watchers saw the same events (the all-migrations stream starts with the start).
    const seen = watchers.map((w) => w.events.filter((e) => data(e).volume_migration.id === listed.id));
    expect(seen[0].map((e) => e.id)).toEqual(seen[1].map((e) => e.id));
    expect(data(seen[0][0]).event_type).toBe('volume.migration.start');
    expect(seen[0].at(-1)?.id).toBe(events.at(-1)?.id);
    for (const w of watchers) w.close();

    // An integration that was not listening reads it all from the stream, afterwards.
    const js = (await stack.nats()).connection.jetstream();
    const consumer = await js.consumers.get(`VOLUME_NOTIFICATIONS_${stack.env.NATS_SUBJECT_PREFIX}`, {
      filterSubjects: `${stack.env.NATS_SUBJECT_PREFIX}.notifications.volume.migration.${listed.id}`,
    });
    const stored: MigrationNotification[] = [];
    for (let m = await consumer.next({ expires: 1_000 }); m; m = await consumer.next({ expires: 1_000 })) stored.push(JSONCodec<MigrationNotification>().decode(m.data));
    await consumer.delete().catch(() => undefined);
    const types = stored.map((n) => n.event_type);
    expect(types[0]).toBe('volume.migration.start');
    expect(types.at(-1)).toBe('volume.migration.end');
    expect(types.slice(1, -1).every((t) => t === 'volume.migration.progress')).toBe(true);
    expect(types.length).toBeGreaterThanOrEqual(4);
    expect(new Set(stored.map((n) => n.message_id)).size).toBe(stored.length);
    expect(stored.every((n) => n.publisher_id === `volume.${listed.source_host.split('@')[0]}` && n.payload.id === listed.id)).toBe(true);
    // Each event's percent and bytes are one observation (the copy's, as it recorded them), never back.
    const figures = stored.map(({ payload: p }) => ({ status: p.status, progress: p.progress, processed: Number(p.processed_bytes), total: Number(p.total_bytes) }));
    for (const f of figures) expect(f).toEqual({ ...f, progress: f.status === 'success' ? 100 : Math.min(99, Math.floor((100 * f.processed) / f.total)) });
    const percents = figures.map((f) => Number(f.progress));
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
  });
});
