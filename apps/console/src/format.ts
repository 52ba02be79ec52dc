import { formatEta, UNKNOWN } from '@volume/migration-format';

/**
 * The console's own rules over a migration; how figures read (sizes, rates, times, ETA states) is
 * volctl's too, in @volume/migration-format.
 */

export const MIB = 1024 * 1024;

/** What the ETA column shows: only a running migration has one, and `eta_state` says why there is no number. */
export function etaText(m: { eta_seconds: number | null; eta_state: string | null; status: string }): string {
  return m.status === 'running' ? formatEta(m.eta_seconds, m.eta_state) : UNKNOWN;
}

/** A bandwidth field in MiB/s as the API's bytes per second; empty means "the host's default" (null). */
export function bandwidthFromMib(text: string): number | null {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  const mib = Number(trimmed);
  if (!Number.isFinite(mib) || mib <= 0) throw new RangeError(`"${text}" is not a positive number of MiB/s`);
  return Math.max(1, Math.round(mib * MIB));
}

/** The phases after which the copy is committed: cancel is refused (400) and the buttons are off. */
const PAST_SWITCH_OVER = new Set(['swapping', 'completing', 'done']);

export function isPastSwitchOver(m: { phase: string | null; status: string }): boolean {
  return m.status !== 'running' || (m.phase !== null && PAST_SWITCH_OVER.has(m.phase));
}

/** A migration in one of these has its final figures: its events stream has nothing more to say. */
const FINISHED = new Set(['success', 'error', 'cancelled']);

export function isFinished(m: { status: string }): boolean {
  return FINISHED.has(m.status);
}
