import { CopyBandwidth, inTurn } from './copy-bandwidth';

const elapsed = async (work: () => Promise<unknown>): Promise<number> => {
  const start = performance.now();
  await work();
  return performance.now() - start;
};

describe("a migration's own copy bandwidth", () => {
  it('when limited, then blocks go out at the limit (after the burst)', async () => {
    const bw = new CopyBandwidth(100_000);
    // 5 x 20 kB at 100 kB/s: 1 s, less the 100 ms an idle limit lets through at once.
    const ms = await elapsed(async () => {
      for (let i = 0; i < 5; i++) await bw.take(20_000);
    });
    expect(ms).toBeGreaterThan(800);
    expect(ms).toBeLessThan(1300);
  });

  it('when it has no limit of its own (null), then nothing waits', async () => {
    const bw = new CopyBandwidth(null);
    expect(await elapsed(() => bw.take(1e12))).toBeLessThan(50);
    expect(bw.limit).toBe(0);
  });

  it('when the limit is raised while a block waits, then the block goes at once, under the new limit', async () => {
    const bw = new CopyBandwidth(1_000);
    // 10 s under the old limit.
    const waiting = elapsed(() => bw.take(10_000));
    setTimeout(() => bw.set(100_000_000), 100);
    expect(await waiting).toBeLessThan(400);
    expect(bw.limit).toBe(100_000_000);
  });

  it('when the limit is lowered, then the next blocks wait longer', async () => {
    const bw = new CopyBandwidth(10_000_000);
    await bw.take(1_000);
    bw.set(10_000);
    // 5 kB at 10 kB/s: about half a second (the time already waited counts, the burst too).
    const ms = await elapsed(() => bw.take(5_000).then(() => bw.take(5_000)));
    expect(ms).toBeGreaterThan(700);
  });

  it('when back to null while a block waits, then it goes at once', async () => {
    const bw = new CopyBandwidth(1_000);
    const waiting = elapsed(() => bw.take(10_000));
    setTimeout(() => bw.set(null), 50);
    expect(await waiting).toBeLessThan(300);
  });

  it('when the copy is aborted while a block waits, then the wait ends with the abort', async () => {
    const bw = new CopyBandwidth(1_000);
    const abort = new AbortController();
    const waiting = bw.take(10_000, abort.signal);
    setTimeout(() => abort.abort(new Error('cancelled')), 50);
    await expect(waiting).rejects.toThrow('cancelled');
  });

  it('when a limit is not a whole number of bytes per second, then it is refused', () => {
    expect(() => new CopyBandwidth(-1)).toThrow(RangeError);
    expect(() => new CopyBandwidth(1.5)).toThrow(RangeError);
  });

  it('in turn with the host budget, then the tighter of the two sets the pace', async () => {
    const own = new CopyBandwidth(50_000);
    const host = new CopyBandwidth(1_000_000);
    const both = inTurn(own, host);
    // 4 x 10 kB at 50 kB/s: 0.8 s less the burst.
    const ms = await elapsed(async () => {
      for (let i = 0; i < 4; i++) await both.take(10_000);
    });
    expect(ms).toBeGreaterThan(600);
  });
});
