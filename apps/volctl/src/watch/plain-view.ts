import { isFinished, MigrationState } from './migration-state';
import { interruptedText, outcomeText, progressText, target } from './describe-state';
import type { WatchView } from './watch-migrations';

/**
 * Without a terminal (a log, a pipe): one timestamped line per migration each time what it shows
 * changes, and its end.
 */
export class PlainView implements WatchView {
  private readonly last = new Map<string, string>();

  constructor(
    private readonly write: (line: string) => void,
    private readonly now: () => Date = () => new Date(),
  ) {}

  update(states: MigrationState[]): void {
    for (const s of states) {
      const line = `${target(s)}: ${isFinished(s) ? outcomeText(s) : progressText(s)}`;
      if (this.last.get(s.key) === line) continue;
      this.last.set(s.key, line);
      this.write(`${this.now().toISOString().replace(/\.\d+Z$/, 'Z')} ${line}`);
    }
  }

  finish(states: MigrationState[]): void {
    this.update(states);
  }

  interrupt(states: MigrationState[]): void {
    this.write(interruptedText(states));
  }
}
