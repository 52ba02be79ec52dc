import { BlockStorageApi, type VolumeMigration } from '../api/block-storage';
import { BlockStorageHttp } from '../api/http-client';
import { ApiFault, ExitCode } from '../exit-codes';
import { fakeFetch } from '../test-support/fake-api';
import { migration } from '../test-support/migration-fixture';
import { eventsFeed, type MigrationEvents } from './events-feed';
import type { MigrationFeed } from './migration-feed';
import { stateOfMigration } from './migration-state';
import { PlainView } from './plain-view';
import { watchMigrations } from './watch-migrations';

const MIB = 1024 ** 2;
const NEVER: MigrationFeed = {
  async *updates() {
    throw new Error('the fallback was used');
  },
};

const event = (id: number, m: VolumeMigration, name = 'migration') => `id: ${id}\nevent: ${name}\ndata: ${JSON.stringify({ event_type: 'volume.migration.progress', volume_migration: m })}\n\n`;
const done = migration({ status: 'success', phase: 'done', progress: 100, processed_bytes: 1024 * MIB, duration_seconds: 12, observed_at: '2026-12-03T12:00:07' });

/** A server's event stream: what it writes, and a drop when it likes. */
function stream() {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({ start: (c) => (controller = c) });
  return {
    response: new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } }),
    write: (text: string) => controller.enqueue(new TextEncoder().encode(text)),
    drop: () => controller.close(),
  };
}

/** The events of one migration, each connection answered by the next function; what each asked is kept. */
function events(connections: ((lastEventId: string | undefined) => Response | Promise<Response>)[], over: Partial<MigrationEvents> = {}) {
  const asked: (string | undefined)[] = [];
  const source: MigrationEvents = {
    open: async (lastEventId) => {
      asked.push(lastEventId);
      const next = connections.shift();
      if (!next) return new Promise<Response>(() => undefined);
      return next(lastEventId);
    },
    stateOf: (m) => stateOfMigration(m, 'db', new Date('2026-12-03T12:00:00Z')),
    read: async () => [],
    readOnOpen: false,
    ...over,
  };
  return { source, asked };
}

async function watch(feed: MigrationFeed): Promise<{ code: ExitCode; lines: string[] }> {
  const lines: string[] = [];
  const code = await watchMigrations(feed, new PlainView((l) => lines.push(l.replace(/^\S+ /, ''))), new AbortController().signal);
  return { code, lines };
}

describe('watching from the events stream', () => {
  it('when the stream drops mid-copy, then it is opened again with Last-Event-ID and the watch goes on to the end', async () => {
    const first = stream();
    const { source, asked } = events([
      () => {
        first.write('retry: 10\n\n' + event(41, migration()) + event(42, migration({ progress: 60, processed_bytes: 600 * MIB, observed_at: '2026-12-03T12:00:03' })));
        setTimeout(() => first.drop(), 20);
        return first.response;
      },
      (lastEventId) => {
        const second = stream();
        if (lastEventId === '42') second.write(event(43, done, 'end'));
        return second.response;
      },
    ]);
    const { code, lines } = await watch(eventsFeed(source, { quietMs: 60_000, fallback: NEVER }));
    expect(asked).toEqual([undefined, '42']);
    expect(code).toBe(ExitCode.Ok);
    expect(lines).toEqual([
      'db -> host-b@file#pool1: copying 40%, 410.0 MiB of 1.0 GiB, 64.0 MiB/s, ETA 10s (throttled)',
      'db -> host-b@file#pool1: copying 60%, 600.0 MiB of 1.0 GiB, 64.0 MiB/s, ETA 10s (throttled)',
      'db -> host-b@file#pool1: success in 12s (avg 41.0 MiB/s)',
    ]);
  });

  it('when an event is older than the state a read showed, then it is not shown: the percent never goes back', async () => {
    const live = stream();
    const { source } = events([() => live.response], {
      readOnOpen: true,
      read: async () => [stateOfMigration(migration({ progress: 50, processed_bytes: 512 * MIB, observed_at: '2026-12-03T12:00:05' }), 'db')],
    });
    setTimeout(() => live.write(event(1, migration({ progress: 45, processed_bytes: 460 * MIB, observed_at: '2026-12-03T12:00:04' })) + event(2, done, 'end')), 20);
    const { lines } = await watch(eventsFeed(source, { quietMs: 60_000, fallback: NEVER }));
    expect(lines.map((l) => /(\d+)%|success/.exec(l)?.[0])).toEqual(['50%', 'success']);
  });

  it('when the stream is quiet for a while (a stalled copy), then the migration is read, and the stall shows', async () => {
    const quiet = stream();
    const stalled = migration({ stalled: true, eta_state: 'stalled', eta_seconds: null, last_progress_at: '2026-12-03T11:57:00', observed_at: '2026-12-03T12:00:01' });
    const reads = [[stateOfMigration(stalled, 'db', new Date('2026-12-03T12:00:00Z'))], [stateOfMigration(done, 'db')]];
    const { source } = events([() => (quiet.write(event(1, migration())), quiet.response)], { read: async () => reads.shift() ?? [] });
    const { code, lines } = await watch(eventsFeed(source, { quietMs: 30, fallback: NEVER }));
    expect(code).toBe(ExitCode.Ok);
    expect(lines[1]).toBe('db -> host-b@file#pool1: copying 40%, 410.0 MiB of 1.0 GiB, 64.0 MiB/s, ETA stalled, WARNING stalled for 3 min');
  });

  it('when the server has no events stream (404), then the watch polls instead', async () => {
    const { source } = events([() => new Response('{}', { status: 404 })]);
    const polled: MigrationFeed = {
      async *updates() {
        yield [stateOfMigration(done, 'db')];
      },
    };
    expect(await watch(eventsFeed(source, { quietMs: 60_000, fallback: polled }))).toEqual({ code: ExitCode.Ok, lines: ['db -> host-b@file#pool1: success in 12s (avg 41.0 MiB/s)'] });
  });

  it('when the stream refuses the token (401), then the watch ends with that fault, not a retry', async () => {
    const { source, asked } = events([
      () => {
        throw new ApiFault(401, 'The request you have made requires authentication.');
      },
    ]);
    await expect(watch(eventsFeed(source, { quietMs: 60_000, fallback: NEVER }))).rejects.toMatchObject({ exitCode: ExitCode.Auth });
    expect(asked).toHaveLength(1);
  });

  it('when the client opens a stream, then the token and Last-Event-ID are headers and the URL carries neither', async () => {
    const { fetch, seen } = fakeFetch(() => ({ status: 200, body: ': heartbeat\n\n', headers: { 'content-type': 'text/event-stream' } }));
    const api = new BlockStorageApi(new BlockStorageHttp({ endpoint: 'http://volume.test/v3/p1', headers: { 'x-auth-token': 'secret-token' } }, fetch));
    await api.openMigrationEvents({ id: 'm1' }, '42', new AbortController().signal);
    await api.openMigrationEvents({ allProjects: true }, undefined, new AbortController().signal);
    expect(seen.map((r) => r.url.href)).toEqual(['http://volume.test/v3/p1/volume-migrations/m1/events', 'http://volume.test/v3/p1/volume-migrations/events?all_tenants=1']);
    expect(seen[0].headers).toMatchObject({ 'x-auth-token': 'secret-token', 'last-event-id': '42', accept: 'text/event-stream', 'openstack-api-version': 'volume 3.73' });
    expect(seen[1].headers['last-event-id']).toBeUndefined();
  });
});
