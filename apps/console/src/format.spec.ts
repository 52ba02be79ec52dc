import { bandwidthFromMib, etaText, isPastSwitchOver } from './format';

describe('console rules over a migration', () => {
  it('when a migration is running, then its ETA reads as its state says; once it ended, it has none', () => {
    const running = { status: 'running' };
    expect(etaText({ ...running, eta_seconds: 47, eta_state: 'ready' })).toBe('47s');
    expect(etaText({ ...running, eta_seconds: 47, eta_state: 'throttled' })).toBe('47s (throttled)');
    expect(etaText({ ...running, eta_seconds: null, eta_state: 'stalled' })).toBe('stalled');
    expect(etaText({ status: 'success', eta_seconds: 0, eta_state: 'ready' })).toBe('-');
  });

  it('when a bandwidth is typed in MiB/s, then it becomes bytes per second; empty is the host default; nonsense is refused', () => {
    expect(bandwidthFromMib('2')).toBe(2 * 1024 * 1024);
    expect(bandwidthFromMib(' 0.5 ')).toBe(512 * 1024);
    expect(bandwidthFromMib('')).toBeNull();
    expect(() => bandwidthFromMib('0')).toThrow(RangeError);
    expect(() => bandwidthFromMib('fast')).toThrow('"fast" is not a positive number of MiB/s');
  });

  it('when a migration is swapping, completing or finished, then it is past the switch-over', () => {
    expect(isPastSwitchOver({ status: 'running', phase: 'copying' })).toBe(false);
    expect(isPastSwitchOver({ status: 'running', phase: null })).toBe(false);
    expect(isPastSwitchOver({ status: 'running', phase: 'swapping' })).toBe(true);
    expect(isPastSwitchOver({ status: 'cancelling', phase: 'copying' })).toBe(true);
  });
});
