/**
 * How the console words sizes, rates and times. Kept here rather than shared with volctl's
 * (apps/volctl/src/format): an app cannot import another app, and these few lines are all the page needs.
 */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
export const MIB = 1024 * 1024;

/** Binary units, one decimal once past bytes: 1536 → "1.5 KiB"; null (not known yet) → "–". */
export function bytesText(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '–';
  const unit = bytes <= 0 ? 0 : Math.min(UNITS.length - 1, Math.floor(Math.log2(bytes) / 10));
  return unit === 0 ? `${bytes} B` : `${(bytes / 1024 ** unit).toFixed(1)} ${UNITS[unit]}`;
}

export function rateText(bytesPerSecond: number | null | undefined): string {
  return bytesPerSecond === null || bytesPerSecond === undefined ? '–' : `${bytesText(bytesPerSecond)}/s`;
}

/** 3725 → "1h 02m 05s", 65 → "1m 05s", 9.4 → "9s". */
export function durationText(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '–';
  const total = Math.max(0, Math.round(seconds));
  const [h, m, s] = [Math.floor(total / 3600), Math.floor((total % 3600) / 60), total % 60];
  const pad = (n: number) => String(n).padStart(2, '0');
  if (h > 0) return `${h}h ${pad(m)}m ${pad(s)}s`;
  return m > 0 ? `${m}m ${pad(s)}s` : `${s}s`;
}

/** What the ETA column shows: a time only when the API has one (`eta_state` says why not otherwise). */
export function etaText(m: { eta_seconds: number | null; eta_state: string | null; status: string }): string {
  if (m.status !== 'running') return '–';
  if (m.eta_state === 'stalled') return 'stalled';
  if (m.eta_seconds === null || m.eta_seconds === undefined) return m.eta_state === 'measuring' ? 'measuring…' : 'unknown';
  return durationText(m.eta_seconds) + (m.eta_state === 'throttled' ? ' (throttled)' : '');
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

/** API times are UTC without a zone (Cinder's `2026-12-03T12:10:42.377000`). */
export function parseApiTime(text: string | null | undefined): number | null {
  if (!text) return null;
  const ms = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text}Z`);
  return Number.isNaN(ms) ? null : ms;
}

export function timeText(text: string | null | undefined): string {
  const ms = parseApiTime(text);
  return ms === null ? '–' : new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
}
