import { setTimeout as delay } from 'node:timers/promises';

export interface ThrottleClock {
  /** Milliseconds, monotonic. */
  now(): number;
  /** Rejects with an AbortError when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

const realClock: ThrottleClock = {
  now: () => performance.now(),
  sleep: (ms, signal) => delay(ms, undefined, { signal }),
};

/** An idle throttle lends at most this much time's worth of bytes, so that a pause is not made up by a burst. */
const DEFAULT_BURST_MS = 100;

export interface ByteThrottleOptions {
  clock?: ThrottleClock;
  /** Time's worth of bytes an idle throttle lends (default 100 ms; 0: none, a pause is simply lost). */
  burstMs?: number;
}

/**
 * A bytes-per-second budget shared by concurrent copies: Cinder's `volume_copy_bps_limit` for one
 * worker (every copy of the worker takes from the same budget), and the swap copier's
 * `SWAP_COPY_BPS_LIMIT` in nova-bridge (guest writes are never paced). A token bucket kept as the time at which the budget is next free (GCRA): each `take`
 * reserves its bytes at once, in call order, and waits until its reservation is due. Reserving at
 * call time is what makes it fair: concurrent copies that take a block at a time interleave
 * instead of one starving the others. A taker pays before it proceeds, so a copy of N bytes takes
 * at least (N - burst) / rate.
 */
export class ByteThrottle {
  private readonly clock: ThrottleClock;
  private readonly burstMs: number;
  /** When the budget is next free; before "now - burstMs" it only means "idle". */
  private freeAt = Number.NEGATIVE_INFINITY;

  /** `bytesPerSecond` 0 means unlimited. */
  constructor(
    private readonly bytesPerSecond: number,
    opts: ByteThrottleOptions = {},
  ) {
    if (!Number.isFinite(bytesPerSecond) || bytesPerSecond < 0) {
      throw new RangeError(`bytesPerSecond must be a finite number >= 0, got ${bytesPerSecond}`);
    }
    this.burstMs = opts.burstMs ?? DEFAULT_BURST_MS;
    if (!Number.isFinite(this.burstMs) || this.burstMs < 0) throw new RangeError(`burstMs must be a finite number >= 0, got ${this.burstMs}`);
    this.clock = opts.clock ?? realClock;
  }

  async take(bytes: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    if (this.bytesPerSecond === 0 || bytes <= 0) return;
    const costMs = (bytes * 1000) / this.bytesPerSecond;
    const now = this.clock.now();
    this.freeAt = Math.max(this.freeAt, now - this.burstMs) + costMs;
    const waitMs = this.freeAt - now;
    if (waitMs <= 0) return;
    try {
      await this.clock.sleep(waitMs, signal);
    } catch (err) {
      // An aborted copy gives its unused reservation back so that the other copies need not wait for it.
      this.freeAt -= costMs;
      throw err;
    }
  }
}
