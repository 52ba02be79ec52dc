import { Format, MultiBar, Options, Params, Presets, SingleBar } from 'cli-progress';
import { formatEta, formatRate } from '@volume/migration-format';
import { isFinished, MigrationState } from './migration-state';
import { bytesText, interruptedText, outcomeText, percentText, stallText, target } from './describe-state';
import type { WatchView } from './watch-migrations';

/** One bar's line: label, bar, percent, bytes, rate, ETA, phase and, when no byte moves, the stall warning. */
export function barLine(options: Options, params: Params, payload: { state: MigrationState; width: number }): string {
  const s = payload.state;
  const label = s.label.length > payload.width ? `${s.label.slice(0, payload.width - 1)}~` : s.label.padEnd(payload.width);
  const bar = Format.BarFormat(params.progress, options);
  if (isFinished(s)) return `${label} [${bar}] ${percentText(s).padStart(4)} | ${outcomeText(s)}`;
  const stall = stallText(s);
  return [
    `${label} [${bar}] ${percentText(s).padStart(4)}`,
    bytesText(s),
    formatRate(s.rate),
    `ETA ${formatEta(s.etaSeconds, s.etaState)}`,
    s.status === 'running' ? s.phase : s.status,
    ...(stall ? [`!! ${stall}`] : []),
  ].join(' | ');
}

/** On a terminal: a bar per migration (cli-progress), redrawn in place as the states change. */
export class TtyView implements WatchView {
  private readonly multibar: MultiBar;
  private readonly bars = new Map<string, SingleBar>();

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly write: (line: string) => void,
  ) {
    this.multibar = new MultiBar({ format: barLine, stream, hideCursor: true, clearOnComplete: false, barsize: 24, fps: 5 }, Presets.shades_classic);
  }

  update(states: MigrationState[]): void {
    const width = Math.min(24, Math.max(...states.map((s) => s.label.length), 8));
    for (const s of states) {
      const payload = { state: s, width };
      const value = s.percent ?? 0;
      const bar = this.bars.get(s.key);
      if (bar) bar.update(value, payload);
      else this.bars.set(s.key, this.multibar.create(100, value, payload));
    }
  }

  finish(states: MigrationState[]): void {
    this.update(states);
    this.multibar.stop();
    for (const s of states) this.write(`${target(s)}: ${outcomeText(s)}`);
  }

  interrupt(states: MigrationState[]): void {
    this.multibar.stop();
    this.write(interruptedText(states));
  }
}
