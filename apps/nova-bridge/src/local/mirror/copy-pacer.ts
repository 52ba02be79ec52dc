import { setTimeout as delay } from 'node:timers/promises';

/**
 * The copier's rate limit (`SWAP_COPY_BPS_LIMIT`): a copy pays for the bytes it wrote by waiting
 * until the budget has room for them, in call order, so concurrent chunk copies share the rate.
 * Guest writes are never paced. An idle pacer lends no credit: a pause is not made up by a burst.
 */
export class CopyPacer {
  private freeAt = 0;

  /** `bytesPerSecond` 0 means unlimited. */
  constructor(private readonly bytesPerSecond: number) {
    if (!Number.isFinite(bytesPerSecond) || bytesPerSecond < 0) {
      throw new RangeError(`bytesPerSecond must be a finite number >= 0, got ${bytesPerSecond}`);
    }
  }

  /** Rejects with an AbortError when `signal` aborts. */
  async take(bytes: number, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    if (this.bytesPerSecond === 0 || bytes <= 0) return;
    const now = performance.now();
    this.freeAt = Math.max(this.freeAt, now) + (bytes * 1000) / this.bytesPerSecond;
    const waitMs = this.freeAt - now;
    if (waitMs >= 1) await delay(waitMs, undefined, { signal });
  }
}
