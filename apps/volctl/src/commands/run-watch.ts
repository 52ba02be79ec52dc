import { ExitCode } from '../exit-codes';
import type { MigrationFeed } from '../watch/migration-feed';
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
