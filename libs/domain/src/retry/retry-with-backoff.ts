import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelayMs, BackoffPolicy, retryWithinBound } from './backoff';

export interface RetryOptions {
  /**
   * Whether this failure is worth another attempt. It may look things up (a peer's heartbeat) and
   * may throw to give up with a better reason than the failure itself.
   */
  retryable(err: unknown, attempt: number): boolean | Promise<boolean>;
  policy?: BackoffPolicy;
  /** Give up once the next attempt would start later than this after the first failure. */
  boundMs?: number;
  /** Ends the waits (with the signal's reason) and stops retrying. */
  signal?: AbortSignal;
  /** Before each wait: where a caller logs. */
  onRetry?(err: unknown, attempt: number, delayMs: number): void;
  random?: () => number;
}

/**
 * Runs `op` until it succeeds, waiting with backoff (libs/domain's `backoffDelayMs`) between
 * attempts, as long as each failure is `retryable`, within `boundMs`, and the signal is not aborted.
 * The last failure is thrown when it gives up. `op` must be safe to repeat: an attempt that timed
 * out may have been done.
 */
export async function retryWithBackoff<T>(op: () => Promise<T>, opts: RetryOptions): Promise<T> {
  let firstFailureAt: number | undefined;
  for (let attempt = 1; ; attempt++) {
    opts.signal?.throwIfAborted();
    try {
      return await op();
    } catch (err) {
      if (opts.signal?.aborted || !(await opts.retryable(err, attempt))) throw err;
      const now = Date.now();
      firstFailureAt ??= now;
      const delayMs = backoffDelayMs(attempt, opts.policy, opts.random);
      if (opts.boundMs !== undefined && !retryWithinBound({ firstFailureAt, now, delayMs, boundMs: opts.boundMs })) throw err;
      opts.onRetry?.(err, attempt, delayMs);
      await sleep(delayMs, undefined, { signal: opts.signal }).catch((waitErr: unknown) => {
        throw opts.signal?.aborted ? opts.signal.reason : waitErr;
      });
    }
  }
}
