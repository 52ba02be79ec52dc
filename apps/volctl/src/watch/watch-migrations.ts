import { ExitCode } from '../exit-codes';
import type { MigrationFeed } from './migration-feed';
import { isFinished, MigrationState } from './migration-state';

/** What the states are shown on: bars on a terminal, plain lines elsewhere. */
export interface WatchView {
  update(states: MigrationState[]): void;
  /** Every watched migration has ended: the last states. */
  finish(states: MigrationState[]): void;
  /** Ctrl-C: the watch stops, the migrations go on. */
  interrupt(states: MigrationState[]): void;
}

/**
 * Shows the feed's states until every watched migration has ended (exit 0 when all succeeded, 1 when
 * one failed or was cancelled) or the signal aborts (Ctrl-C: the migrations go on, exit 130).
 */
export async function watchMigrations(feed: MigrationFeed, view: WatchView, signal: AbortSignal): Promise<ExitCode> {
  let states: MigrationState[] = [];
  for await (const next of feed.updates(signal)) {
    states = next;
    if (signal.aborted) break;
    if (states.length && states.every(isFinished)) {
      view.finish(states);
      return states.every((s) => s.status === 'success') ? ExitCode.Ok : ExitCode.Failed;
    }
    view.update(states);
  }
  view.interrupt(states);
  return ExitCode.Interrupted;
}
