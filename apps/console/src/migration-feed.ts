import type { ConsoleApi } from './api-client';
import type { Migration, MigrationEvent } from './api-types';
import { SseParser } from './sse-parser';

export type FeedMode = 'connecting' | 'live' | 'polling';

export interface FeedHandlers {
  /** One migration changed (an event of the stream). */
  onMigration(m: Migration, eventType: string): void;
  /** The whole picture: at every (re)connect of the stream, and every poll without one. */
  onSnapshot(ms: Migration[]): void;
  onMode(mode: FeedMode): void;
  onError(err: unknown): void;
}

const POLL_MS = 2000;
const RECONNECT_MS = 2000;

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
}

/**
 * Follows migrations from the 3.73 events stream at `eventsPath`, read with fetch (EventSource cannot
 * send X-Auth-Token) and resumed with Last-Event-ID after a drop. An API without the stream (404)
 * is polled through `snapshot` every 2 s instead; 204 (a finished migration's stream, all read) ends it.
 */
export async function followMigrations(
  api: ConsoleApi,
  eventsPath: string,
  snapshot: () => Promise<Migration[]>,
  handlers: FeedHandlers,
  signal: AbortSignal,
): Promise<void> {
  let lastEventId: string | undefined;
  const refresh = async () => {
    try {
      handlers.onSnapshot(await snapshot());
    } catch (err) {
      if (!signal.aborted) handlers.onError(err);
    }
  };
  while (!signal.aborted) {
    handlers.onMode('connecting');
    let res: Response;
    try {
      const headers = api.headers({ accept: 'text/event-stream', ...(lastEventId ? { 'last-event-id': lastEventId } : {}) });
      res = await fetch(api.url(eventsPath), { headers, signal });
    } catch (err) {
      if (signal.aborted) return;
      handlers.onError(err);
      await pause(RECONNECT_MS, signal);
      continue;
    }
    if (res.status === 404) {
      handlers.onMode('polling');
      while (!signal.aborted) {
        await refresh();
        await pause(POLL_MS, signal);
      }
      return;
    }
    if (res.status === 204) return;
    if (!res.ok || !res.body) {
      handlers.onError(new Error(`the events stream answered HTTP ${res.status}`));
      await pause(RECONNECT_MS, signal);
      continue;
    }
    handlers.onMode('live');
    await refresh();
    const parser = new SseParser((e) => {
      if (e.id) lastEventId = e.id;
      const data = JSON.parse(e.data) as Partial<MigrationEvent>;
      if (data.volume_migration) handlers.onMigration(data.volume_migration, data.event_type ?? e.event);
    });
    await readStream(res.body, parser, signal);
    await pause(RECONNECT_MS / 2, signal);
  }
}

async function readStream(body: ReadableStream<Uint8Array>, parser: SseParser, signal: AbortSignal): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      parser.push(decoder.decode(value, { stream: true }));
    }
  } catch {
    // dropped (or aborted): the caller reconnects unless it was told to stop
  } finally {
    if (signal.aborted) reader.cancel().catch(() => undefined);
  }
}
