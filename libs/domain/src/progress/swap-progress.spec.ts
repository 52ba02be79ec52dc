import { swapPercent } from './swap-progress';

describe('swapPercent', () => {
  it('when copying, then it is the floor of cur/end in percent', () => {
    expect(swapPercent('copying', null, 0, 1000)).toBe(0);
    expect(swapPercent('copying', null, 425, 1000)).toBe(42);
    expect(swapPercent('copying', 10, 999, 1000)).toBe(99);
  });

  it('when the guest dirties copied regions and end grows, then the percent does not go back', () => {
    expect(swapPercent('copying', 60, 600, 2000)).toBe(60);
  });

  it('when cur reaches end (libvirt before ready, or at the pivot), then it stays at 99 until completion', () => {
    expect(swapPercent('copying', 98, 1000, 1000)).toBe(99);
    expect(swapPercent('pivoting', 99, 1000, 1000)).toBe(99);
    expect(swapPercent('completing', 99, null, null)).toBe(99);
  });

  it('when nothing is known yet, then it is null; when only the previous percent is (after a restart), then that', () => {
    expect(swapPercent('copying', null, null, null)).toBeNull();
    expect(swapPercent('copying', null, 0, 0)).toBeNull();
    expect(swapPercent('completing', 73, null, null)).toBe(73);
  });

  it('when accepted or finished, then it is null whatever the counters say', () => {
    for (const phase of ['accepted', 'completed', 'failed', 'cancelled'] as const) {
      expect(swapPercent(phase, 50, 500, 1000)).toBeNull();
    }
  });
});
