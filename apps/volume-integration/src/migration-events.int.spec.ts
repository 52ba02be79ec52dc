import { AddressInfo } from 'node:net';
import { JSONCodec } from 'nats';
import { ApiApp, createApiApp } from '@volume/api-app';
import { MigrationNotification } from '@volume/contracts';
import { SseClient, SseEvent } from '@volume/testing';
import { ADMIN, PROJECT, startHostCopy, TestStack, writeVolumeData } from '@volume/testing-stack';

// Issue 14 §3 on the real stack: a throttled host copy (API, scheduler, two workers) watched as
// Server-Sent Events through a second API replica, and found afterwards on the JetStream stream
// of notifications as oslo.messaging would carry it.

jest.setTimeout(120_000);

/** Per worker: 32 MiB of data then take about 4 s. */
const LIMIT = 8 * 1024 * 1024;
const HEADERS = { ...ADMIN, 'openstack-api-version': 'volume 3.73' };

const data = (e: SseEvent) => JSON.parse(e.data) as { event_type: string; volume_migration: Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('migration events on the real stack (3.73)', () => {
  let stack: TestStack;
  let replica: ApiApp;
  const urls: string[] = [];

  beforeAll(async () => {
    stack = await TestStack.start({ workerEnv: { VOLUME_COPY_BPS_LIMIT: String(LIMIT) } });
    await stack.api.app.listen(0, '127.0.0.1');
    replica = await createApiApp({ ...stack.env, QUOTA_VOLUMES: '-1', QUOTA_GIGABYTES: '-1' });
    await replica.app.listen(0, '127.0.0.1');
    for (const app of [stack.api.app, replica.app]) urls.push(`http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}/v3/${PROJECT}`);
  });

  afterAll(async () => {
    await replica?.app.close();
    await stack?.stop();
  });

  it('when a throttled copy runs, then a client of either replica sees its events in order, progress rising, ending with end; the stream holds start, progress and end', async () => {
    const watchers = [await SseClient.open(`${urls[0]}/volume-migrations/events`, HEADERS), await SseClient.open(`${urls[1]}/volume-migrations/events`, HEADERS)];
    const volumeId = await stack.createVolume({ size: 1, name: 'watched' });
    await writeVolumeData(stack, volumeId, [{ offsetMiB: 0, sizeMiB: 32 }]);
    const { dest, migration: listed } = await startHostCopy(stack, volumeId);
    const one = await SseClient.open(`${urls[1]}/volume-migrations/${listed.id}/events`, HEADERS);
    await one.ended;
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
  });
});
