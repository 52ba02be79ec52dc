import { bytesLeftToRead, estimateEta, EtaInputs } from './migration-eta';
import { RateEstimator } from './migration-progress';

const MB = 1_000_000;
const copying: EtaInputs = { remainingBytes: 100 * MB, rateBytesPerSecond: null, msSinceProgress: 0, limitBytesPerSecond: null, stallWarnMs: 120_000 };

/** A copy on a fake clock: `step` reads `readBytes` more (and processes `processedBytes` more, holes included) in `ms`. */
function copy(totalBytes: number, toRead: number, opts: { limit?: number } = {}) {
  let now = 0;
  let lastMoveAt = 0;
  const rate = new RateEstimator({ now: () => now });
  const state = { processed: 0, read: 0 };
  rate.record(0);
  return {
    step(ms: number, readBytes: number, processedBytes = readBytes) {
      now += ms;
      state.read += readBytes;
      state.processed += processedBytes;
      if (processedBytes > 0) lastMoveAt = now;
      rate.record(state.read);
    },
    idle(ms: number) {
      now += ms;
    },
    eta() {
      return estimateEta({
        remainingBytes: bytesLeftToRead({ toRead, read: state.read, processed: state.processed, total: totalBytes }),
        rateBytesPerSecond: rate.bytesPerSecond,
        msSinceProgress: now - lastMoveAt,
        limitBytesPerSecond: opts.limit ?? null,
        stallWarnMs: 120_000,
      });
    },
  };
}

describe('the ETA of a migration copy (estimateEta)', () => {
  it('when the copy has begun but no rate is measured yet, then it is measuring, without a number', () => {
    expect(estimateEta(copying)).toEqual({ etaSeconds: null, etaState: 'measuring', stalled: false });
  });

  it('when the copy reads steadily below any limit, then the ETA is what is left at that rate, ready, and falls as it goes', () => {
    const c = copy(100 * MB, 100 * MB, { limit: 50 * MB });
    c.step(1000, 10 * MB);
    const first = c.eta();
    c.step(1000, 10 * MB);
    expect(first).toEqual({ etaSeconds: 9, etaState: 'ready', stalled: false });
    expect(c.eta()).toEqual({ etaSeconds: 8, etaState: 'ready', stalled: false });
  });

  it('when the rate sits at the bandwidth limit, then the ETA is throttled (the limit, not the disks, sets it)', () => {
    const c = copy(100 * MB, 100 * MB, { limit: 10 * MB });
    for (let i = 0; i < 5; i++) c.step(1000, 9.6 * MB);
    expect(c.eta()).toEqual({ etaSeconds: 6, etaState: 'throttled', stalled: false });
  });

  it('when no bytes moved for MIGRATION_STALL_WARN_S, then it is stalled, flagged and without a number (the old rate says nothing)', () => {
    const c = copy(100 * MB, 100 * MB);
    c.step(1000, 10 * MB);
    c.idle(119_000);
    expect(c.eta().etaState).toBe('ready');
    c.idle(1000);
    expect(c.eta()).toEqual({ etaSeconds: null, etaState: 'stalled', stalled: true });
  });

  it('when a run of holes is skipped unread, then the ETA goes by the bytes still to read: it neither collapses nor soars', () => {
    // 100 MB volume holding 20 MB of data: the first 80 MB are holes, processed at memory speed.
    const c = copy(100 * MB, 20 * MB);
    c.step(1000, 2 * MB, 2 * MB);
    c.step(10, 0, 78 * MB);
    c.step(1000, 2 * MB, 2 * MB);
    const { etaSeconds, etaState } = c.eta();
    expect(etaState).toBe('ready');
    // 16 MB left to read at about 2 MB/s; by processed bytes (18 MB left of 100) and a rate inflated
    // by the holes it would be about a second.
    expect(etaSeconds).toBeGreaterThanOrEqual(7);
    expect(etaSeconds).toBeLessThanOrEqual(9);
  });

  it('when nothing is left to read, then 0 s, ready, even before any rate', () => {
    expect(estimateEta({ ...copying, remainingBytes: 0 })).toEqual({ etaSeconds: 0, etaState: 'ready', stalled: false });
  });

  it('when nothing copies, or what is left is unknown, then unknown', () => {
    expect(estimateEta({ ...copying, msSinceProgress: null }).etaState).toBe('unknown');
    expect(estimateEta({ ...copying, remainingBytes: null, rateBytesPerSecond: MB }).etaState).toBe('unknown');
  });

  it('when the map is not taken yet, then what is left goes by processed bytes', () => {
    expect(bytesLeftToRead({ toRead: null, read: 0, processed: 30, total: 100 })).toBe(70);
    expect(bytesLeftToRead({ toRead: 40, read: 10, processed: 90, total: 100 })).toBe(30);
  });
});
