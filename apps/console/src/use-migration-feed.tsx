import { useEffect, useState } from 'preact/hooks';
import type { ConsoleApi } from './api-client';
import type { Migration } from './api-types';
import { type FeedHandlers, type FeedMode, followMigrations } from './migration-feed';

/**
 * A page's hook onto followMigrations: the feed runs while the page is shown, until `ended` says that
 * what it follows has finished (the page read it so): then nothing more can come, and it says so at once.
 */
export function useMigrationFeed(
  api: ConsoleApi,
  eventsPath: string,
  snapshot: () => Promise<Migration[]>,
  handlers: Pick<FeedHandlers, 'onMigration' | 'onSnapshot'>,
  ended = false,
) {
  const [mode, setMode] = useState<FeedMode>('connecting');
  const [error, setError] = useState('');
  useEffect(() => {
    if (ended) {
      setMode('ended');
      return;
    }
    const stop = new AbortController();
    followMigrations(
      api,
      eventsPath,
      snapshot,
      {
        onMigration: (m, type) => (setError(''), handlers.onMigration(m, type)),
        onSnapshot: (ms) => (setError(''), handlers.onSnapshot(ms)),
        onMode: setMode,
        onError: (err) => setError((err as Error).message),
      },
      stop.signal,
    );
    return () => stop.abort();
    // The feed follows one path for the page's life; the handlers only set the page's state.
  }, [api, eventsPath, ended]);
  return { mode, error };
}

export function FeedStatus({ mode, error }: { mode: FeedMode; error: string }) {
  const texts: Record<FeedMode, string> = {
    live: 'live (events stream)',
    polling: 'polling every 2 s (no events stream)',
    connecting: 'connecting…',
    ended: 'ended (the events stream has nothing more)',
  };
  const text = texts[mode];
  return (
    <p class="feed" aria-live="polite">
      <span class={`dot ${mode}`} aria-hidden="true" />
      {text}
      {error && <span class="error"> · {error}</span>}
    </p>
  );
}
