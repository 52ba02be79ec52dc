/**
 * Time left of a migration's copy, and why there is none when there is none (`eta_state`). Pure:
 * the caller measures (RateEstimator over bytes read) and says how long ago bytes last moved.
 */

/** Why `eta_seconds` is what it is: see estimateEta. */
export type EtaState = 'measuring' | 'ready' | 'throttled' | 'stalled' | 'unknown';

/** MIGRATION_STALL_WARN_S's default: a copy silent this long is flagged (never ended: see the watchdog). */
export const DEFAULT_STALL_WARN_S = 120;

/**
 * A rate within this fraction of its limit sits at it: a token bucket hands out slightly less than
 * its rate over any window, and the estimator smooths, so the measured rate never quite reaches it.
 */
const AT_LIMIT = 0.9;

export interface EtaInputs {
  /** Bytes still to read (holes skipped unread cost nothing); null when unknown. */
  remainingBytes: number | null;
  /** The recent read rate; null until measured. */
  rateBytesPerSecond: number | null;
  /** Milliseconds since bytes last advanced (or the copy began); null when nothing copies. */
  msSinceProgress: number | null;
  /** The limit this copy's rate is held to, bytes per second; null or 0: none. */
  limitBytesPerSecond: number | null;
  /** How long a silence is before the copy counts as stalled. */
  stallWarnMs: number;
}

export interface EtaEstimate {
  etaSeconds: number | null;
  etaState: EtaState;
  /** Advisory: no bytes for `stallWarnMs`. */
  stalled: boolean;
}

/**
 * - `ready`: a number at the recent rate; `throttled`: the same, and the rate sits at its limit
 *   (the time is the limit's, not the disks');
 * - `measuring`: copying, but no rate yet;
 * - `stalled`: no bytes for `stallWarnMs`, so the last rate says nothing: no number;
 * - `unknown`: nothing copies (not started, driver-assisted, ended) or what is left is unknown.
 * Nothing left is 0 s, ready.
 */
export function estimateEta(i: EtaInputs): EtaEstimate {
  if (i.remainingBytes === 0) return { etaSeconds: 0, etaState: 'ready', stalled: false };
  if (i.msSinceProgress === null || i.remainingBytes === null) return { etaSeconds: null, etaState: 'unknown', stalled: false };
  if (i.msSinceProgress >= i.stallWarnMs) return { etaSeconds: null, etaState: 'stalled', stalled: true };
  const rate = i.rateBytesPerSecond;
  if (rate === null || !(rate > 0)) return { etaSeconds: null, etaState: 'measuring', stalled: false };
  // The smoothed rate carries rounding noise (a steady 1 MB/s comes out a hair under): a millionth
  // of a second is not a second more.
  const etaSeconds = Math.ceil(i.remainingBytes / rate - 1e-6);
  const limit = i.limitBytesPerSecond ?? 0;
  return { etaSeconds, etaState: limit > 0 && rate >= AT_LIMIT * limit ? 'throttled' : 'ready', stalled: false };
}

/** What a copy still has to read: by its map once taken (holes excluded), by processed bytes before. */
export function bytesLeftToRead(c: { toRead: number | null; read: number; processed: number; total: number }): number {
  return c.toRead === null ? Math.max(0, c.total - c.processed) : Math.max(0, c.toRead - c.read);
}
