import type { BlockStorageApi } from '../api/block-storage';
import { ExitCode } from '../exit-codes';
import { eventsFeed } from '../watch/events-feed';
import { MigrationFeed, migrationEvents, pollingFeed, ReadStates } from '../watch/migration-feed';
import { PlainView } from '../watch/plain-view';
import { TtyView } from '../watch/tty-view';
import { watchMigrations } from '../watch/watch-migrations';
import type { CliIo } from './cli-context';

/** Bars on a terminal, plain lines elsewhere; Ctrl-C ends the watch, not the migrations. */
export async function runWatch(feed: MigrationFeed, io: CliIo): Promise<ExitCode> {
  const view = io.tty ? new TtyView(io.tty, io.out) : new PlainView(io.out);
  const { signal, dispose } = io.interrupts();
  try {
    return await watchMigrations(feed, view, signal);
  } finally {
    dispose();
  }
}

/** A stalled copy is silent on the events stream: after this long without an event, the watched migrations are read. */
const QUIET_MS = 30_000;

/**
 * What to watch with: the events stream when there is a migration resource to follow (3.73; `id`
 * for one, none for every running one), polling every `intervalMs` otherwise and wherever the server
 * has no stream.
 */
export function watchFeed(api: BlockStorageApi, target: { id?: string; label?: string; allProjects?: boolean } | null, read: ReadStates, intervalMs: number): MigrationFeed {
  const polling = pollingFeed(read, intervalMs);
  return target ? eventsFeed(migrationEvents(api, target, read), { quietMs: QUIET_MS, fallback: polling }) : polling;
}
