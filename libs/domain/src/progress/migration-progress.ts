/**
 * Migration progress as Cinder shows it in `migration_progress`: an integer percent string that an
 * admin polls. Pure: the copy engine feeds byte counts, the clock is injected.
 */

function assertBytes(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative integer number of bytes, got ${value}`);
  }
}

/**
 * `floor(100 * processed / total)`, in BigInt because `100 * processed` leaves the exact integer
 * range for volumes above ~90 TB, where float rounding shows the next percent a byte early.
 * Nothing of nothing is left to process, so a 0-byte total is 100.
 */
export function progressPercent(processed: number, total: number): number {
  assertBytes('processed', processed);
  assertBytes('total', total);
  if (processed > total) throw new RangeError(`processed (${processed}) exceeds total (${total})`);
  if (total === 0) return 100;
  return Number((BigInt(processed) * 100n) / BigInt(total));
}

/**
 * The progress of one copy. "100" is a promise that every byte is written and durable, which only
 * the end of the copy (after its fsync) can make, so it waits for `complete()`; until then the
 * percent stops at 99, and a 0-byte volume shows 0. Lower updates are ignored: a copy resumed from
 * a checkpoint re-sends bytes it had already reported, and an admin must never see progress go back.
 */
export class ProgressTracker {
  private done: number;
  private completed = false;

  constructor(
    private readonly totalBytes: number,
    startProcessed = 0,
  ) {
    assertBytes('totalBytes', totalBytes);
    assertBytes('startProcessed', startProcessed);
    if (startProcessed > totalBytes) throw new RangeError(`startProcessed (${startProcessed}) exceeds totalBytes (${totalBytes})`);
    this.done = startProcessed;
  }

  update(processedBytes: number): void {
    assertBytes('processedBytes', processedBytes);
    if (processedBytes > this.totalBytes) {
      throw new RangeError(`processedBytes (${processedBytes}) exceeds totalBytes (${this.totalBytes})`);
    }
    if (processedBytes > this.done) this.done = processedBytes;
  }

  complete(): void {
    this.done = this.totalBytes;
    this.completed = true;
  }

  get percent(): string {
    if (this.completed) return '100';
    if (this.totalBytes === 0) return '0';
    return String(Math.min(99, progressPercent(this.done, this.totalBytes)));
  }

  get processed(): number {
    return this.done;
  }

  get total(): number {
    return this.totalBytes;
  }
}

export interface RateEstimatorOptions {
  /**
   * Weight of the past: a rate measured this long ago counts half as much as the current one.
   * Short enough to follow a throttle change, long enough to smooth over holes (which are
   * processed at memory speed) and fsync stalls.
   */
  halfLifeMs?: number;
  /** Milliseconds, monotonic. */
  now?: () => number;
}

/**
 * Bytes per second over the recent updates, exponentially weighted by elapsed time (not by update
 * count, so that bursts of updates do not outweigh quiet periods), for an admin's time-left estimate.
 */
export class RateEstimator {
  private readonly halfLifeMs: number;
  private readonly now: () => number;
  private last: { at: number; bytes: number } | null = null;
  /** The weighted sum of the samples and the sum of their weights: the rate is their quotient. */
  private weighted = 0;
  private weights = 0;

  constructor(opts: RateEstimatorOptions = {}) {
    this.halfLifeMs = opts.halfLifeMs ?? 10_000;
    if (!(this.halfLifeMs > 0)) throw new RangeError(`halfLifeMs must be > 0, got ${this.halfLifeMs}`);
    this.now = opts.now ?? (() => performance.now());
  }

  /** `processedBytes` is cumulative, as `ProgressTracker.update` takes it. */
  record(processedBytes: number): void {
    assertBytes('processedBytes', processedBytes);
    const at = this.now();
    // The first sample (possibly a resumed copy's checkpoint) only sets the baseline, and a count
    // that went back (a copy restarted from an earlier checkpoint) starts a new one.
    if (!this.last || processedBytes < this.last.bytes) {
      this.last = { at, bytes: processedBytes };
      return;
    }
    const elapsed = at - this.last.at;
    // Updates within the same millisecond are folded into the next interval rather than dividing by 0.
    if (elapsed <= 0) return;
    const sample = ((processedBytes - this.last.bytes) * 1000) / elapsed;
    // Each interval weighs by its length (1 - keep grows with it), and the weights are normalised,
    // so that a first interval that happens to be short and fast (a throttle's burst) weighs as
    // little as it lasted instead of standing for the whole past.
    const keep = Math.pow(0.5, elapsed / this.halfLifeMs);
    this.weighted = keep * this.weighted + (1 - keep) * sample;
    this.weights = keep * this.weights + (1 - keep);
    this.last = { at, bytes: processedBytes };
  }

  /**
   * Forgets the rate so far, keeping the last sample as the baseline: what the copy does from now
   * on alone is its rate (its limit changed; the past says nothing about the new one).
   */
  rebase(): void {
    this.weighted = 0;
    this.weights = 0;
  }

  /**
   * Milliseconds since the last update, null before the first: what tells a copy that is slow from
   * one that is stuck, since a stalled copy sends no updates and its rate would stay where it was.
   */
  msSinceLastUpdate(): number | null {
    return this.last ? Math.max(0, this.now() - this.last.at) : null;
  }

  /** Null until two updates were seen. */
  get bytesPerSecond(): number | null {
    return this.weights > 0 ? this.weighted / this.weights : null;
  }

  /** Whole seconds (rounded up) at the current rate; null when there is no rate to go by. */
  etaSeconds(remainingBytes: number): number | null {
    assertBytes('remainingBytes', remainingBytes);
    if (remainingBytes === 0) return 0;
    const rate = this.bytesPerSecond;
    if (rate === null || rate <= 0) return null;
    // The normalised rate carries rounding noise (a steady 1 MB/s comes out a hair under): a
    // millionth of a second is not a second more.
    return Math.ceil(remainingBytes / rate - 1e-6);
  }
}
