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

/** What a copy waits on before it sends a block: one ByteThrottle, or several in turn (`inTurn`). */
export interface Throttle {
  take(bytes: number, signal?: AbortSignal): Promise<void>;
}

/** A `take` waiting for its reservation: when it is due, and what it cost, both rescaled by `setRate`. */
interface Reservation {
  dueAt: number;
  costMs: number;
  changed: AbortController;
}

/**
 * A bytes-per-second budget shared by concurrent copies: Cinder's `volume_copy_bps_limit` for one
 * worker (every copy of the worker takes from the same budget), a migration's own limit (3.73's
 * `os-migrate_volume_set_bandwidth`), and the swap copier's pace in nova-bridge (guest writes are
 * never paced). A token bucket kept as the time at which the budget is next free (GCRA): each `take`
 * reserves its bytes at once, in call order, and waits until its reservation is due. Reserving at
 * call time is what makes it fair: concurrent copies that take a block at a time interleave
 * instead of one starving the others. A taker pays before it proceeds, so a copy of N bytes takes
 * at least (N - burst) / rate.
 *
 * `setRate` changes the rate while takers wait: what is still owed (the backlog and each waiting
 * reservation) is judged again under the new rate at once, and the time already waited counts.
 */
export class ByteThrottle implements Throttle {
  private readonly clock: ThrottleClock;
  private readonly burstMs: number;
  private bytesPerSecond: number;
  /** When the budget is next free; before "now - burstMs" it only means "idle". */
  private freeAt = Number.NEGATIVE_INFINITY;
  private readonly waiting = new Set<Reservation>();

  /** `bytesPerSecond` 0 means unlimited. */
  constructor(bytesPerSecond: number, opts: ByteThrottleOptions = {}) {
    this.bytesPerSecond = checkedRate(bytesPerSecond);
    this.burstMs = opts.burstMs ?? DEFAULT_BURST_MS;
    if (!Number.isFinite(this.burstMs) || this.burstMs < 0) throw new RangeError(`burstMs must be a finite number >= 0, got ${this.burstMs}`);
    this.clock = opts.clock ?? realClock;
  }

  /** Bytes per second now; 0: unlimited. */
  get rate(): number {
    return this.bytesPerSecond;
  }

  /** A new rate (0: unlimited), for what waits now as for what comes next. */
  setRate(bytesPerSecond: number): void {
    const next = checkedRate(bytesPerSecond);
    const previous = this.bytesPerSecond;
    if (next === previous) return;
    this.bytesPerSecond = next;
    const now = this.clock.now();
    // Time still owed at the old rate, as bytes, then as time at the new one.
    const rescale = (ms: number): number => (next === 0 ? 0 : previous === 0 ? ms : (ms * previous) / next);
    if (this.freeAt > now) this.freeAt = now + rescale(this.freeAt - now);
    for (const r of this.waiting) {
      r.dueAt = now + rescale(Math.max(0, r.dueAt - now));
      r.costMs = rescale(r.costMs);
      const wake = r.changed;
      r.changed = new AbortController();
      wake.abort();
    }
  }

  async take(bytes: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    if (this.bytesPerSecond === 0 || bytes <= 0) return;
    const costMs = (bytes * 1000) / this.bytesPerSecond;
    const now = this.clock.now();
    this.freeAt = Math.max(this.freeAt, now - this.burstMs) + costMs;
    if (this.freeAt <= now) return;
    const r: Reservation = { dueAt: this.freeAt, costMs, changed: new AbortController() };
    this.waiting.add(r);
    try {
      for (;;) {
        const waitMs = r.dueAt - this.clock.now();
        if (waitMs <= 0) return;
        const changed = r.changed.signal;
        try {
          await this.clock.sleep(waitMs, signal ? AbortSignal.any([signal, changed]) : changed);
          return;
        } catch (err) {
          if (!signal?.aborted) continue; // the rate changed: wait again for the rescaled reservation
          // An aborted copy gives its unused reservation back so that the other copies need not wait for it.
          this.freeAt -= r.costMs;
          throw signal.reason ?? err;
        }
      }
    } finally {
      this.waiting.delete(r);
    }
  }
}

/** Several budgets one after the other (a migration's own limit, then its host's): the tighter sets the pace. */
export function inTurn(...throttles: (Throttle | undefined)[]): Throttle {
  return {
    async take(bytes, signal) {
      for (const t of throttles) await t?.take(bytes, signal);
    },
  };
}

function checkedRate(bytesPerSecond: number): number {
  if (!Number.isFinite(bytesPerSecond) || bytesPerSecond < 0) {
    throw new RangeError(`bytesPerSecond must be a finite number >= 0, got ${bytesPerSecond}`);
  }
  return bytesPerSecond;
}
