import { progressPercent, ProgressTracker, RateEstimator } from './migration-progress';

const GIB = 1024 ** 3;

describe('progressPercent', () => {
  it('is the floor of the percentage, so 99.99% is still 99', () => {
    expect(progressPercent(0, 1000)).toBe(0);
    expect(progressPercent(9, 1000)).toBe(0);
    expect(progressPercent(10, 1000)).toBe(1);
    expect(progressPercent(999, 1000)).toBe(99);
    expect(progressPercent(1000, 1000)).toBe(100);
    expect(progressPercent(GIB - 1, GIB)).toBe(99);
  });

  it('stays exact for multi-petabyte totals, where float arithmetic shows the next percent one byte early', () => {
    // 100 * processed is beyond 2^53 here: Math.floor(100 * p / t) gives 75 and 99.
    expect(progressPercent(6_000_000_000_000_674, 8_000_000_000_000_900)).toBe(74);
    expect(progressPercent(6_966_505_673_588_834, 7_036_874_417_766_500)).toBe(98);
  });

  it('is 100 for a 0-byte total: nothing is left to process', () => {
    expect(progressPercent(0, 0)).toBe(100);
  });

  it('refuses negative, fractional and impossible byte counts', () => {
    expect(() => progressPercent(-1, 10)).toThrow(RangeError);
    expect(() => progressPercent(1.5, 10)).toThrow(RangeError);
    expect(() => progressPercent(11, 10)).toThrow(/exceeds total/);
    expect(() => progressPercent(0, Number.NaN)).toThrow(RangeError);
  });
});

describe('ProgressTracker', () => {
  it('counts holes like written bytes: the percent follows the processed offset', () => {
    const t = new ProgressTracker(4 * GIB);
    t.update(GIB); // e.g. one GiB of holes skipped
    expect(t.percent).toBe('25');
    expect(t.processed).toBe(GIB);
    expect(t.total).toBe(4 * GIB);
  });

  it('never goes back, even when a resumed copy reports an offset below what was shown', () => {
    const t = new ProgressTracker(1000);
    t.update(600);
    t.update(400);
    expect(t.percent).toBe('60');
    expect(t.processed).toBe(600);
  });

  it('starts from a resumed copy’s checkpoint', () => {
    expect(new ProgressTracker(1000, 250).percent).toBe('25');
  });

  it('stays at 99 when every byte was processed but the copy is not complete (not yet durable)', () => {
    const t = new ProgressTracker(1000);
    t.update(1000);
    expect(t.percent).toBe('99');
    expect(t.processed).toBe(1000);
  });

  it('shows 100 only after complete()', () => {
    const t = new ProgressTracker(1000, 10);
    t.complete();
    expect(t.percent).toBe('100');
    expect(t.processed).toBe(1000);
    t.update(500);
    expect(t.percent).toBe('100');
  });

  it('shows a 0-byte volume as 0 until complete, then 100', () => {
    const t = new ProgressTracker(0);
    t.update(0);
    expect(t.percent).toBe('0');
    t.complete();
    expect(t.percent).toBe('100');
  });

  it('refuses processed counts beyond the total or negative ones', () => {
    expect(() => new ProgressTracker(10, 11)).toThrow(RangeError);
    expect(() => new ProgressTracker(-1)).toThrow(RangeError);
    expect(() => new ProgressTracker(10).update(11)).toThrow(RangeError);
    expect(() => new ProgressTracker(10).update(-1)).toThrow(RangeError);
  });
});

describe('RateEstimator', () => {
  function clocked(halfLifeMs = 10_000) {
    let now = 0;
    const rate = new RateEstimator({ halfLifeMs, now: () => now });
    return { rate, advance: (ms: number) => (now += ms) };
  }

  it('has no rate and no ETA before two updates', () => {
    const { rate } = clocked();
    expect(rate.etaSeconds(100)).toBeNull();
    rate.record(500);
    expect(rate.bytesPerSecond).toBeNull();
    expect(rate.etaSeconds(100)).toBeNull();
  });

  it('when rebased (the copy got a new limit), then only what follows is its rate, from the same baseline', () => {
    const { rate, advance } = clocked();
    rate.record(0);
    for (let i = 1; i <= 30; i++) {
      advance(1000);
      rate.record(i * 1000);
    }
    expect(rate.bytesPerSecond).toBeCloseTo(1000, 3);
    rate.rebase();
    expect(rate.bytesPerSecond).toBeNull();
    advance(1000);
    rate.record(38_000);
    expect(rate.bytesPerSecond).toBeCloseTo(8000, 3);
  });

  it('does not let a short, fast first interval (a throttle burst) stand for the whole past', () => {
    const { rate, advance } = clocked();
    const block = 4 * 1024 * 1024;
    rate.record(0);
    advance(1); // the burst: a block through at once
    rate.record(block);
    let bytes = block;
    for (let i = 0; i < 48; i++) {
      advance(62.5); // then 64 MiB/s: a block every 62.5 ms, for 3 s
      bytes += block;
      rate.record(bytes);
    }
    const trueRate = (64 * 1024 * 1024);
    expect(rate.bytesPerSecond as number).toBeGreaterThan(trueRate * 0.95);
    expect(rate.bytesPerSecond as number).toBeLessThan(trueRate * 1.1);
  });

  it('tells how long ago the last update came, so that a stalled copy shows while its rate stays put', () => {
    const { rate, advance } = clocked();
    expect(rate.msSinceLastUpdate()).toBeNull();
    rate.record(0);
    advance(1000);
    rate.record(1_000_000);
    expect(rate.msSinceLastUpdate()).toBe(0);
    advance(30_000); // no update: the copy is stuck
    expect(rate.msSinceLastUpdate()).toBe(30_000);
    expect(rate.bytesPerSecond).toBeCloseTo(1_000_000, 0);
    rate.record(2_000_000);
    expect(rate.msSinceLastUpdate()).toBe(0);
  });

  it('measures a steady rate and turns it into whole seconds left, rounded up', () => {
    const { rate, advance } = clocked();
    rate.record(0);
    for (let i = 1; i <= 10; i++) {
      advance(1000);
      rate.record(i * 1_000_000);
    }
    expect(rate.bytesPerSecond).toBeCloseTo(1_000_000, 0);
    expect(rate.etaSeconds(5_000_000)).toBe(5);
    expect(rate.etaSeconds(5_000_001)).toBe(6);
    expect(rate.etaSeconds(0)).toBe(0);
  });

  it('takes a resumed copy’s first count as baseline, not as bytes copied in no time', () => {
    const { rate, advance } = clocked();
    rate.record(10 * GIB);
    advance(1000);
    rate.record(10 * GIB + 1_000_000);
    expect(rate.bytesPerSecond).toBeCloseTo(1_000_000, 0);
  });

  it('follows a rate change within a few half-lives, weighting by time rather than update count', () => {
    const { rate, advance } = clocked(1000);
    let bytes = 0;
    rate.record(bytes);
    for (let i = 0; i < 10; i++) {
      advance(1000);
      rate.record((bytes += 8_000_000));
    }
    // Many quick updates at the new rate over 4 s (4 half-lives) bring it most of the way.
    for (let i = 0; i < 400; i++) {
      advance(10);
      rate.record((bytes += 10_000));
    }
    const r = rate.bytesPerSecond as number;
    expect(r).toBeGreaterThan(1_000_000);
    expect(r).toBeLessThan(1_000_000 + 8_000_000 / 8);
  });

  it('folds updates within the same instant into the next interval and restarts after a count that went back', () => {
    const { rate, advance } = clocked();
    rate.record(0);
    rate.record(500_000);
    advance(1000);
    rate.record(1_000_000);
    expect(rate.bytesPerSecond).toBeCloseTo(1_000_000, 0);
    rate.record(0);
    advance(1000);
    rate.record(2_000_000);
    expect(rate.bytesPerSecond).toBeGreaterThan(1_000_000);
  });
});
