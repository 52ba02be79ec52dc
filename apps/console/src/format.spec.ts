import { bandwidthFromMib, bytesText, durationText, etaText, isPastSwitchOver, parseApiTime, rateText } from './format';

describe('console formatting', () => {
  it('when sizes and rates are shown, then they are in binary units with one decimal, and unknown is a dash', () => {
    expect(bytesText(0)).toBe('0 B');
    expect(bytesText(1023)).toBe('1023 B');
    expect(bytesText(1536)).toBe('1.5 KiB');
    expect(bytesText(1024 ** 3)).toBe('1.0 GiB');
    expect(bytesText(null)).toBe('–');
    expect(rateText(2 * 1024 * 1024)).toBe('2.0 MiB/s');
    expect(rateText(null)).toBe('–');
  });

  it('when durations are shown, then hours, minutes and seconds appear only as needed', () => {
    expect(durationText(9.4)).toBe('9s');
    expect(durationText(65)).toBe('1m 05s');
    expect(durationText(3725)).toBe('1h 02m 05s');
    expect(durationText(null)).toBe('–');
  });

  it('when the ETA has no number, then the state says why; throttled and stalled are named', () => {
    const running = { status: 'running' };
    expect(etaText({ ...running, eta_seconds: 47, eta_state: 'ready' })).toBe('47s');
    expect(etaText({ ...running, eta_seconds: 47, eta_state: 'throttled' })).toBe('47s (throttled)');
    expect(etaText({ ...running, eta_seconds: null, eta_state: 'measuring' })).toBe('measuring…');
    expect(etaText({ ...running, eta_seconds: null, eta_state: 'stalled' })).toBe('stalled');
    expect(etaText({ ...running, eta_seconds: null, eta_state: 'unknown' })).toBe('unknown');
    expect(etaText({ status: 'success', eta_seconds: 0, eta_state: 'ready' })).toBe('–');
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

  it("when an API time has no zone, then it is read as UTC (Cinder's format)", () => {
    expect(parseApiTime('2026-12-03T12:10:42.377000')).toBe(Date.UTC(2026, 11, 3, 12, 10, 42, 377));
    expect(parseApiTime('2026-12-03T12:10:42Z')).toBe(Date.UTC(2026, 11, 3, 12, 10, 42));
    expect(parseApiTime(null)).toBeNull();
    expect(parseApiTime('yesterday')).toBeNull();
  });
});
