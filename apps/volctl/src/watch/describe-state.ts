import { formatBytes, formatDuration, formatEta, formatRate, formatStall } from '@volume/migration-format';
import type { MigrationState } from './migration-state';

export const percentText = (s: MigrationState): string => (s.percent === null ? '--%' : `${s.percent}%`);

export const bytesText = (s: MigrationState): string =>
  s.processedBytes === null ? formatBytes(s.totalBytes) : `${formatBytes(s.processedBytes)} of ${formatBytes(s.totalBytes)}`;

export const stallText = (s: MigrationState): string => (s.stalledSeconds === null ? '' : formatStall(s.stalledSeconds));

export const target = (s: MigrationState): string => (s.destination ? `${s.label} -> ${s.destination}` : s.label);

/** How it ended, in one line: "success in 16s (avg 8.0 MiB/s)", "error: ...", "cancelled". */
export function outcomeText(s: MigrationState): string {
  if (s.status === 'success') {
    const took = s.durationSeconds === null ? '' : ` in ${formatDuration(s.durationSeconds)}`;
    return `success${took}${s.averageRate === null ? '' : ` (avg ${formatRate(s.averageRate)})`}`;
  }
  return s.error ? `${s.status}: ${s.error}` : s.status;
}

/** A running migration in one line: phase, percent, bytes, rate, ETA and the stall warning. */
export function progressText(s: MigrationState): string {
  const parts = [`${s.status === 'running' ? s.phase : `${s.status} (${s.phase})`} ${percentText(s)}`, bytesText(s)];
  if (s.rate !== null || s.etaState !== null) parts.push(formatRate(s.rate), `ETA ${formatEta(s.etaSeconds, s.etaState)}`);
  const stall = stallText(s);
  if (stall) parts.push(`WARNING ${stall}`);
  return parts.join(', ');
}

export function interruptedText(states: MigrationState[]): string {
  const running = states.filter((s) => s.status === 'running' || s.status === 'cancelling');
  if (!running.length) return 'Stopped watching.';
  const again = running.map((s) => (s.migrationId ? `volctl migrations watch ${s.migrationId}` : `volctl volumes show ${s.volumeId}`));
  return `Stopped watching; the migration${running.length > 1 ? 's keep' : ' keeps'} running on the server (${again.join('; ')}).`;
}
