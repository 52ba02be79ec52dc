import { ByteThrottle, inTurn, ThrottleClock } from './byte-throttle';

const MIB = 1024 * 1024;

/** Virtual time: sleeps end only when `settle` moves the clock to them, earliest first. */
class FakeClock implements ThrottleClock {
  t = 0;
  slept = 0;
  private timers: { at: number; resolve: () => void }[] = [];

  now(): number {
    return this.t;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.slept++;
    return new Promise((resolve, reject) => {
      const timer = { at: this.t + ms, resolve };
      this.timers.push(timer);
      signal?.addEventListener(
        'abort',
        () => {
          this.timers = this.timers.filter((x) => x !== timer);
          reject(Object.assign(new Error('aborted'), { name: 'AbortError' }));
        },
        { once: true },
      );
    });
  }

  /** Runs until no sleep is pending. */
  async settle(): Promise<void> {
    for (;;) {
      await new Promise((r) => setImmediate(r));
      if (this.timers.length === 0) return;
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers.shift() as { at: number; resolve: () => void };
      this.t = Math.max(this.t, next.at);
      next.resolve();
    }
  }
}

async function takeAll(throttle: ByteThrottle, clock: FakeClock, sizes: number[], log?: string[], name = ''): Promise<void> {
  for (const size of sizes) {
    await throttle.take(size);
    log?.push(`${name}@${Math.round(clock.now())}`);
  }
}

describe('ByteThrottle', () => {
  it('with a limit of 0 is unlimited and never waits', async () => {
    const clock = new FakeClock();
    const throttle = new ByteThrottle(0, { clock });
    for (let i = 0; i < 100; i++) await throttle.take(1024 * MIB);
    expect(clock.slept).toBe(0);
  });

  it('lets 16 MiB through at 8 MiB/s in about 2 s, less the 100 ms burst', async () => {
    const clock = new FakeClock();
    const throttle = new ByteThrottle(8 * MIB, { clock });
    const done = takeAll(throttle, clock, [4 * MIB, 4 * MIB, 4 * MIB, 4 * MIB]);
    await clock.settle();
    await done;
    expect(clock.now()).toBeCloseTo(1900, 6);
  });

  it('does not make up for an idle period with more than 100 ms worth of burst', async () => {
    const clock = new FakeClock();
    const throttle = new ByteThrottle(10 * MIB, { clock });
    await throttle.take(MIB); // within the burst: no wait
    expect(clock.slept).toBe(0);
    clock.t += 60_000;
    const done = throttle.take(10 * MIB);
    await clock.settle();
    await done;
    expect(clock.now()).toBeCloseTo(60_000 + 900, 6);
  });

  it('with no burst (the swap copier), lends nothing after an idle period', async () => {
    const clock = new FakeClock();
    const throttle = new ByteThrottle(10 * MIB, { clock, burstMs: 0 });
    clock.t += 60_000;
    const done = throttle.take(MIB);
    await clock.settle();
    await done;
    expect(clock.now()).toBeCloseTo(60_000 + 100, 6);
  });

  it('shares the budget between concurrent copies, which interleave block by block', async () => {
    const clock = new FakeClock();
    const throttle = new ByteThrottle(8 * MIB, { clock });
    const log: string[] = [];
    const blocks = [4 * MIB, 4 * MIB, 4 * MIB];
    const both = Promise.all([takeAll(throttle, clock, blocks, log, 'a'), takeAll(throttle, clock, blocks, log, 'b')]);
    await clock.settle();
    await both;
    // 24 MiB at 8 MiB/s in all, neither copy running ahead of the other.
    expect(clock.now()).toBeCloseTo(2900, 6);
    expect(log.map((entry) => entry[0]).join('')).toBe('ababab');
  });

  it('rejects a waiting take when its signal aborts and gives its reservation back', async () => {
    const clock = new FakeClock();
    const throttle = new ByteThrottle(MIB, { clock });
    const abort = new AbortController();
    const waiting = throttle.take(10 * MIB, abort.signal);
    abort.abort();
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
    const next = throttle.take(MIB);
    await clock.settle();
    await next;
    expect(clock.now()).toBeCloseTo(900, 6);
  });

  it('rejects at once, reserving nothing, when the signal is already aborted', async () => {
    const clock = new FakeClock();
    const throttle = new ByteThrottle(MIB, { clock });
    await expect(throttle.take(10 * MIB, AbortSignal.abort())).rejects.toMatchObject({ name: 'AbortError' });
    await throttle.take(MIB / 10);
    expect(clock.slept).toBe(0);
  });

  it('aborts a real-time wait too', async () => {
    const throttle = new ByteThrottle(MIB);
    const abort = new AbortController();
    const started = performance.now();
    const waiting = throttle.take(100 * MIB, abort.signal);
    setTimeout(() => abort.abort(), 20);
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('refuses a negative or non-finite limit', () => {
    expect(() => new ByteThrottle(-1)).toThrow(RangeError);
    expect(() => new ByteThrottle(Number.POSITIVE_INFINITY)).toThrow(RangeError);
    expect(() => new ByteThrottle(MIB, { burstMs: -1 })).toThrow(RangeError);
  });

  describe('when its rate changes while takers wait (a migration\'s bandwidth set at runtime)', () => {
    it('raised: a waiting block goes under the new rate, the time already waited counted', async () => {
      const clock = new FakeClock();
      const throttle = new ByteThrottle(MIB, { clock, burstMs: 0 });
      const waiting = throttle.take(10 * MIB); // due at 10 s
      await new Promise((r) => setImmediate(r));
      clock.t = 2000; // 2 MiB's worth waited; 8 MiB owed, at 8 MiB/s: 1 s more
      throttle.setRate(8 * MIB);
      await clock.settle();
      await waiting;
      expect(clock.now()).toBeCloseTo(3000, 6);
      expect(throttle.rate).toBe(8 * MIB);
    });

    it('lowered: what is owed takes longer, for the waiting block and the backlog after it', async () => {
      const clock = new FakeClock();
      const throttle = new ByteThrottle(4 * MIB, { clock, burstMs: 0 });
      const first = throttle.take(4 * MIB); // due at 1 s
      await new Promise((r) => setImmediate(r));
      clock.t = 500; // 2 MiB owed, at 1 MiB/s: 2 s more
      throttle.setRate(MIB);
      const second = throttle.take(MIB); // after the first: 1 s more
      await clock.settle();
      await Promise.all([first, second]);
      expect(clock.now()).toBeCloseTo(3500, 6);
    });

    it('set to 0 (no limit): every waiting block goes at once and nothing waits after', async () => {
      const clock = new FakeClock();
      const throttle = new ByteThrottle(MIB, { clock });
      const waiting = Promise.all([throttle.take(10 * MIB), throttle.take(10 * MIB)]);
      await new Promise((r) => setImmediate(r));
      throttle.setRate(0);
      await clock.settle();
      await waiting;
      expect(clock.now()).toBe(0);
      const slept = clock.slept;
      await throttle.take(100 * MIB);
      expect(clock.slept).toBe(slept);
    });

    it('keeps the order of concurrent waiters', async () => {
      const clock = new FakeClock();
      const throttle = new ByteThrottle(MIB, { clock, burstMs: 0 });
      const log: string[] = [];
      const both = Promise.all([takeAll(throttle, clock, [MIB, MIB], log, 'a'), takeAll(throttle, clock, [MIB, MIB], log, 'b')]);
      await new Promise((r) => setImmediate(r));
      throttle.setRate(2 * MIB);
      await clock.settle();
      await both;
      expect(log.map((entry) => entry[0]).join('')).toBe('abab');
      expect(clock.now()).toBeCloseTo(2000, 6);
    });

    it('refuses a negative rate and keeps the old one', () => {
      const throttle = new ByteThrottle(MIB);
      expect(() => throttle.setRate(-5)).toThrow(RangeError);
      expect(throttle.rate).toBe(MIB);
    });

    it('a real-time wait is woken by the change, not after the old wait', async () => {
      const throttle = new ByteThrottle(1_000);
      const started = performance.now();
      const waiting = throttle.take(10_000); // 10 s at the old rate
      setTimeout(() => throttle.setRate(100_000_000), 50);
      await waiting;
      expect(performance.now() - started).toBeLessThan(1000);
    });
  });

  it('in turn with another budget, the tighter one sets the pace', async () => {
    const clock = new FakeClock();
    const own = new ByteThrottle(MIB, { clock, burstMs: 0 });
    const host = new ByteThrottle(8 * MIB, { clock, burstMs: 0 });
    const done = (async () => {
      for (let i = 0; i < 4; i++) await inTurn(own, undefined, host).take(MIB);
    })();
    await clock.settle();
    await done;
    expect(clock.now()).toBeGreaterThanOrEqual(4000);
    expect(clock.now()).toBeLessThan(4600);
  });
});
