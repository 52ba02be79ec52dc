import { followEventStream, StreamEnded } from '@volume/migration-format';
import type { ConsoleApi } from './api-client';
import type { Migration, MigrationEvent } from './api-types';

/** `ended`: the stream has nothing more (a finished migration's, 204). */
export type FeedMode = 'connecting' | 'live' | 'polling' | 'ended';

export interface FeedHandlers {
  /** One migration changed (an event of the stream). */
  onMigration(m: Migration, eventType: string): void;
  /** The whole picture: at every (re)connect of the stream, and every poll without one. */
  onSnapshot(ms: Migration[]): void;
  onMode(mode: FeedMode): void;
  onError(err: unknown): void;
}

const POLL_MS = 2000;

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
}

/**
 * Follows migrations from the 3.73 events stream at `eventsPath` (followEventStream: fetch with
 * X-Auth-Token, resumed with Last-Event-ID after a drop). An API without the stream (404) is polled
 * through `snapshot` every 2 s instead; 204 (a finished migration's stream, all read) ends it.
 */
export async function followMigrations(
  api: ConsoleApi,
  eventsPath: string,
  snapshot: () => Promise<Migration[]>,
  handlers: FeedHandlers,
  signal: AbortSignal,
): Promise<void> {
  const refresh = async () => {
    try {
      handlers.onSnapshot(await snapshot());
    } catch (err) {
      if (!signal.aborted) handlers.onError(err);
    }
  };
  handlers.onMode('connecting');
  const end = await followEventStream(
    (lastEventId, s) => fetch(api.url(eventsPath), { headers: api.headers({ accept: 'text/event-stream', ...(lastEventId ? { 'last-event-id': lastEventId } : {}) }), signal: s }),
    {
      onOpen: async () => {
        handlers.onMode('live');
        await refresh();
      },
      onEvent: (e) => {
        const data = JSON.parse(e.data) as Partial<MigrationEvent>;
        if (data.volume_migration) handlers.onMigration(data.volume_migration, data.event_type ?? e.event);
      },
      onRetry: (reason) => {
        if (signal.aborted) return;
        handlers.onMode('connecting');
        if (!(reason instanceof StreamEnded)) handlers.onError(reason);
      },
    },
    signal,
  );
  if (end === 'closed') handlers.onMode('ended');
  if (end !== 'unsupported') return;
  handlers.onMode('polling');
  while (!signal.aborted) {
    await refresh();
    await pause(POLL_MS, signal);
  }
}
