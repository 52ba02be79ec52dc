/**
 * The pre-flight estimate of a migration (3.73's `POST /volume-migrations/estimate`): how long a
 * copy of the volume's data would take, by what past copies achieved. Pure: the caller reads the
 * volume's allocated bytes (its source host's extent map) and the finished migrations' records.
 */

/** What the expected rate rests on: past migrations, the host's configured limit, or nothing. */
export type EstimateConfidence = 'history' | 'host-default' | 'none';

/**
 * Which ceiling the expected rate is, when it is one rather than the hosts' own pace: the bandwidth
 * the admin is about to ask for, or the source host's VOLUME_COPY_BPS_LIMIT; null: neither.
 */
export type EstimateLimit = 'bandwidth' | 'host';

/**
 * The finished host copies of one scope (between the same hosts, or to the same destination) that
 * ran without a limit of their own: a throttled copy measured its limit, not the hosts.
 */
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
  /** The copy's own limit the admin would start it with (os-migrate_volume's bandwidth_bytes_per_second); null: none. */
  bandwidthBytesPerSecond: number | null;
}

export interface MigrationEstimate {
  bytesToCopy: number;
  totalBytes: number;
  /** Null when confidence is `none`. */
  expectedRateBytesPerSecond: number | null;
  expectedSeconds: number | null;
  basis: { migrations: number; between: [string, string] };
  confidence: EstimateConfidence;
  limitedBy: EstimateLimit | null;
}

/** A history is worth a rate when it holds a copy that read something over some time. */
function rateOf(h: RateHistory): number | null {
  return h.migrations > 0 && h.readBytes > 0 && h.seconds > 0 ? h.readBytes / h.seconds : null;
}

/**
 * The basis, most specific first: the copies between the same hosts, else any to the destination
 * (its disks and network are most of the cost), else nothing. Past rates are summed bytes over
 * summed seconds, so that a long copy weighs as long as it lasted. The expected rate is then the
 * tightest of that pace and the ceilings a copy runs under: the source host's limit (with no
 * history, it alone is the basis: `host-default`) and the bandwidth asked for. A ceiling with no
 * pace known is still a rate: the copy runs at most at it (the confidence stays `none`).
 */
export function estimateMigration(i: EstimateInputs): MigrationEstimate {
  const between: [string, string] = [i.source, i.destination];
  const base = { bytesToCopy: i.bytesToCopy, totalBytes: i.totalBytes };
  const history = [i.betweenHosts, i.toDestination].find((h) => rateOf(h) !== null);
  const host = positive(i.hostLimitBytesPerSecond);
  const confidence: EstimateConfidence = history ? 'history' : host !== null ? 'host-default' : 'none';
  const candidates: { rate: number | null; by: EstimateLimit | null }[] = [
    { rate: history ? rateOf(history) : null, by: null },
    { rate: host, by: 'host' },
    { rate: positive(i.bandwidthBytesPerSecond), by: 'bandwidth' },
  ];
  // The first of equal rates wins: a ceiling the hosts' pace already meets limits nothing.
  const tightest = candidates.reduce<{ rate: number; by: EstimateLimit | null } | null>(
    (best, c) => (c.rate !== null && (best === null || c.rate < best.rate) ? { rate: c.rate, by: c.by } : best),
    null,
  );
  const basis = { migrations: history?.migrations ?? 0, between };
  if (tightest === null) return { ...base, expectedRateBytesPerSecond: null, expectedSeconds: null, basis, confidence, limitedBy: null };
  return { ...base, ...expected(i.bytesToCopy, tightest.rate), basis, confidence, limitedBy: tightest.by };
}

function positive(n: number | null): number | null {
  return n !== null && n > 0 ? n : null;
}

/** Whole seconds, to the nearest: an estimate rounded up would be biased long. */
function expected(bytes: number, rate: number): { expectedRateBytesPerSecond: number; expectedSeconds: number } {
  return { expectedRateBytesPerSecond: Math.round(rate), expectedSeconds: Math.round(bytes / rate) };
}
