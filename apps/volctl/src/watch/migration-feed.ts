import { setTimeout as sleep } from 'node:timers/promises';
import type { BlockStorageApi } from '../api/block-storage';
import type { MigrationEvents } from './events-feed';
import { isFinished, MigrationState, stateOfMigration, stateOfVolume } from './migration-state';

/**
 * Successive states of the watched migrations, each time a full set, until the signal aborts: from
 * the events stream (events-feed.ts), or by polling where the server has none (before 3.73).
 */
export interface MigrationFeed {
  updates(signal: AbortSignal): AsyncIterable<MigrationState[]>;
}

export type ReadStates = () => Promise<MigrationState[]>;

/** Reads every `intervalMs` (2 s by default in the commands), the first time at once. */
export function pollingFeed(read: ReadStates, intervalMs: number): MigrationFeed {
  return {
    async *updates(signal: AbortSignal) {
      while (!signal.aborted) {
        yield await read();
        try {
          await sleep(intervalMs, undefined, { signal });
        } catch {
          return;
        }
      }
    },
  };
}

/**
 * The events route of one migration (`id`, shown under `label`) or of every running one, read with
 * `read` where the stream cannot tell (see MigrationEvents).
 */
export function migrationEvents(api: BlockStorageApi, watched: { id?: string; label?: string; allProjects?: boolean }, read: ReadStates): MigrationEvents {
  return {
    open: (lastEventId, signal) => api.openMigrationEvents(watched, lastEventId, signal),
    stateOf: (m) => stateOfMigration(m, watched.label ?? m.volume_id),
    read,
    readOnOpen: !watched.id,
  };
}

/** Named migrations, from `GET volume-migrations/{id}` (3.73). */
export function readMigrations(api: BlockStorageApi, watched: { id: string; label?: string }[]): ReadStates {
  return async () => Promise.all(watched.map(async (w) => stateOfMigration(await api.getMigration(w.id), w.label)));
}

/**
 * Every running migration, from the running list; one that leaves it is read once more by id, so
 * that its end (success, error, cancelled) is shown, then kept as it ended.
 */
export function readRunningMigrations(api: BlockStorageApi, opts: { allProjects?: boolean }): ReadStates {
  const seen = new Map<string, MigrationState>();
  return async () => {
    const running = await api.listMigrations({ status: 'running', allProjects: opts.allProjects });
    const now = new Date();
    for (const m of running) seen.set(m.id, stateOfMigration(m, m.volume_id, now));
    const listed = new Set(running.map((m) => m.id));
    const left = [...seen.values()].filter((s) => !listed.has(s.key) && !isFinished(s));
    for (const s of left) seen.set(s.key, stateOfMigration(await api.getMigration(s.key)));
    return [...seen.values()];
  };
}

/** Before 3.73: the volume itself, at 3.72 (`migration_status`, `migration_progress`). */
export function readVolumeMigration(api: BlockStorageApi, volumeId: string, destination?: string): ReadStates {
  return async () => [stateOfVolume(await api.getVolume(volumeId), destination)];
}
