import { EventEmitter, on } from 'node:events';
import { followEventStream, type OpenStream } from '@volume/migration-format';
import type { VolumeMigration } from '../api/block-storage';
import { ApiFault } from '../exit-codes';
import type { MigrationFeed, ReadStates } from './migration-feed';
import { isFinished, type MigrationState } from './migration-state';

/** One events route (issue 14 §3) and how its events become what the watcher shows. */
export interface MigrationEvents {
  open: OpenStream;
  stateOf(m: VolumeMigration): MigrationState;
  /** Every watched migration by GET: when the stream has been quiet for a while, and once it has closed. */
  read: ReadStates;
  /**
   * Read at each (re)connect too: the stream of every running migration starts with the next change,
   * while one migration's starts with its latest state.
   */
  readOnOpen: boolean;
}

export interface EventsFeedOptions {
  /**
   * A stalled copy sends no events (its row does not change): after this much silence the watched
   * migrations are read once, for the API's `stalled` flag and a growing "stalled for".
   */
  quietMs: number;
  /** The feed to use when the server has no events stream (404). */
  fallback: MigrationFeed;
}

/** A state older than the one shown (a persisted event after a live read) is not shown: the bar never goes back. */
function isOlder(next: MigrationState, shown: MigrationState | undefined): boolean {
  return !!shown && !isFinished(next) && next.observedAt !== null && shown.observedAt !== null && next.observedAt < shown.observedAt;
}

/**
 * The watched migrations from the events stream (3.73), live: a set of states each time an event
 * changes one. The stream is followed as EventSource would (opened again after a drop, resuming with
 * Last-Event-ID); a fault (401, 403...) ends the watch with its message.
 */
export function eventsFeed(events: MigrationEvents, options: EventsFeedOptions): MigrationFeed {
  return {
    async *updates(signal: AbortSignal) {
      const stop = new AbortController();
      const both = AbortSignal.any([signal, stop.signal]);
      const changes = new EventEmitter();
      const shown = new Map<string, MigrationState>();
      let quiet: NodeJS.Timeout | undefined;
      const show = (next: MigrationState[]) => {
        for (const s of next) if (!isOlder(s, shown.get(s.key))) shown.set(s.key, s);
        changes.emit('states', [...shown.values()]);
        clearTimeout(quiet);
        quiet = setTimeout(() => void readAll(), options.quietMs);
      };
      // Once the watch has stopped, nobody listens: a late failure is nobody's to report.
      const fail = (err: unknown) => void (both.aborted || changes.emit('error', err));
      const readAll = () => events.read().then(show, fail);
      let unsupported = false;
      followEventStream(
        events.open,
        {
          onOpen: events.readOnOpen ? readAll : undefined,
          onEvent: (e) => {
            const m = (JSON.parse(e.data) as { volume_migration?: VolumeMigration }).volume_migration;
            if (m) show([events.stateOf(m)]);
          },
        },
        both,
        { retryable: (err) => !(err instanceof ApiFault) },
      ).then(
        async (end) => {
          unsupported = end === 'unsupported';
          // Closed (204): the migration ended while no stream was open; its end is read once.
          if (end === 'closed') await readAll();
          changes.emit('ended');
        },
        fail,
      );
      try {
        for await (const [states] of on(changes, 'states', { signal: both, close: ['ended'] })) yield states as MigrationState[];
      } catch (err) {
        if (!both.aborted) throw err;
      } finally {
        clearTimeout(quiet);
        stop.abort();
      }
      if (unsupported && !signal.aborted) yield* options.fallback.updates(signal);
    },
  };
}
