/**
 * The pre-flight estimate of a migration (3.73's `POST /volume-migrations/estimate`): how long a
 * copy of the volume's data would take, by what past copies achieved. Pure: the caller reads the
 * volume's allocated bytes (its source host's extent map) and the finished migrations' records.
 */

/** What the expected rate rests on: past migrations, the host's configured limit, or nothing. */
export type EstimateConfidence = 'history' | 'host-default' | 'none';

/** The finished host copies of one scope (between the same hosts, or to the same destination). */
export interface RateHistory {
  /** How many successful copies the figures sum. */
  migrations: number;
  /** Bytes they read in all (holes they skipped unread cost no time and are not counted). */
  readBytes: number;
  /** Their durations in all, start to end, seconds: the fixed costs (making the destination, the swap) included. */
  seconds: number;
}

export interface EstimateInputs {
  /** The volume's allocated bytes: what a copy reads. */
  bytesToCopy: number;
  totalBytes: number;
  source: string;
  destination: string;
  /** Past copies between `source` and `destination` (the same hosts). */
  betweenHosts: RateHistory;
  /** Past copies from anywhere to `destination`. */
  toDestination: RateHistory;
  /** The source host's VOLUME_COPY_BPS_LIMIT; 0 or null: none. */
  hostLimitBytesPerSecond: number | null;
}

export interface MigrationEstimate {
  bytesToCopy: number;
  totalBytes: number;
  /** Null when confidence is `none`. */
  expectedRateBytesPerSecond: number | null;
  expectedSeconds: number | null;
  basis: { migrations: number; between: [string, string] };
  confidence: EstimateConfidence;
}

/** A history is worth a rate when it holds a copy that read something over some time. */
function rateOf(h: RateHistory): number | null {
  return h.migrations > 0 && h.readBytes > 0 && h.seconds > 0 ? h.readBytes / h.seconds : null;
}

/**
 * The basis, most specific first: the copies between the same hosts, else any to the destination
 * (its disks and network are most of the cost), else the source host's configured limit (a copy
 * runs at most at it), else nothing. Past rates are summed bytes over summed seconds, so that a long
 * copy weighs as long as it lasted.
 */
export function estimateMigration(i: EstimateInputs): MigrationEstimate {
  const between: [string, string] = [i.source, i.destination];
  const base = { bytesToCopy: i.bytesToCopy, totalBytes: i.totalBytes };
  for (const h of [i.betweenHosts, i.toDestination]) {
    const rate = rateOf(h);
    if (rate !== null) return { ...base, ...expected(i.bytesToCopy, rate), basis: { migrations: h.migrations, between }, confidence: 'history' };
  }
  if (i.hostLimitBytesPerSecond && i.hostLimitBytesPerSecond > 0) {
    return { ...base, ...expected(i.bytesToCopy, i.hostLimitBytesPerSecond), basis: { migrations: 0, between }, confidence: 'host-default' };
  }
  return { ...base, expectedRateBytesPerSecond: null, expectedSeconds: null, basis: { migrations: 0, between }, confidence: 'none' };
}

/** Whole seconds, to the nearest: an estimate rounded up would be biased long. */
function expected(bytes: number, rate: number): { expectedRateBytesPerSecond: number; expectedSeconds: number } {
  return { expectedRateBytesPerSecond: Math.round(rate), expectedSeconds: Math.round(bytes / rate) };
}
