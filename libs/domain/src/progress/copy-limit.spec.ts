import { tighterLimit } from './copy-limit';

describe('the tighter of two copy limits (0: none)', () => {
  it.each([
    [8, 2, 2],
    [2, 8, 2],
    [0, 5, 5],
    [5, 0, 5],
    [0, 0, 0],
  ])('when the limits are %d and %d, then the copy runs under %d', (a, b, expected) => {
    expect(tighterLimit(a, b)).toBe(expected);
  });
});
