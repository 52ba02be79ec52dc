/**
 * How long to wait between two attempts at something that is not there yet (a host still
 * starting, a database restarting). Pure: the caller owns the clock, the sleep and the randomness.
 */
export interface BackoffPolicy {
  /** The wait before the first retry, in ms. */
  initialMs: number;
  /** The longest wait, however many attempts failed. */
  maxMs: number;
  /** Each wait is this many times the previous one, up to `maxMs`. */
  factor: number;
}

/**
 * Short first waits (a peer that restarts answers within a second or two), then one attempt every
 * few seconds: quick to notice the return, cheap while the outage lasts.
 */
export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 200, maxMs: 5_000, factor: 2 };

/**
 * The wait before retry number `attempt` (1 for the first retry): exponential up to `maxMs`, with
 * "equal jitter" (half of it fixed, half random), so that the many callers an outage made fail
 * together do not all come back in the same instant, and none retries at once.
 * @param random a number in [0, 1), Math.random by default.
 */
export function backoffDelayMs(attempt: number, policy: BackoffPolicy = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError(`attempt must be an integer >= 1, got ${attempt}`);
  const ceiling = Math.min(policy.maxMs, policy.initialMs * policy.factor ** (attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Whether a retry after `delayMs` still ends within `boundMs` of the first failure. */
export function retryWithinBound(r: { firstFailureAt: number; now: number; delayMs: number; boundMs: number }): boolean {
  return r.now + r.delayMs - r.firstFailureAt <= r.boundMs;
}
