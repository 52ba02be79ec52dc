import { backoffDelayMs, BackoffPolicy, DEFAULT_BACKOFF, retryWithinBound } from './backoff';

const policy: BackoffPolicy = { initialMs: 100, maxMs: 1_000, factor: 2 };
const lowest = () => 0;
const highest = () => 0.999999;

describe('backoffDelayMs', () => {
  it('when attempts fail in a row, then the wait doubles from the first one up to the ceiling', () => {
    const ceilings = [1, 2, 3, 4, 5, 6, 10].map((attempt) => backoffDelayMs(attempt, policy, highest));
    expect(ceilings).toEqual([100, 200, 400, 800, 1_000, 1_000, 1_000]);
  });

  it('when jittered, then each wait lies between half its ceiling and the ceiling: never at once, never in lockstep', () => {
    expect(backoffDelayMs(1, policy, lowest)).toBe(50);
    expect(backoffDelayMs(4, policy, lowest)).toBe(400);
    expect(backoffDelayMs(4, policy, () => 0.5)).toBe(600);
  });

  it('when the default policy is used, then the first retry comes within a fifth of a second and none waits over 5 s', () => {
    expect(backoffDelayMs(1, DEFAULT_BACKOFF, highest)).toBeLessThanOrEqual(200);
    expect(backoffDelayMs(50, DEFAULT_BACKOFF, highest)).toBe(5_000);
  });

  it('when the attempt is not a positive integer, then it is refused', () => {
    expect(() => backoffDelayMs(0, policy)).toThrow(RangeError);
    expect(() => backoffDelayMs(1.5, policy)).toThrow(RangeError);
  });
});

describe('retryWithinBound', () => {
  it('when the next retry would end after the bound, then no more retries', () => {
    expect(retryWithinBound({ firstFailureAt: 0, now: 9_000, delayMs: 1_000, boundMs: 10_000 })).toBe(true);
    expect(retryWithinBound({ firstFailureAt: 0, now: 9_001, delayMs: 1_000, boundMs: 10_000 })).toBe(false);
  });
});
