import { formatApiTime, parseApiTime } from './api-time';

describe('API times', () => {
  it("when an API time has no zone, then it is read as UTC (Cinder's format), whatever the local zone", () => {
    expect(parseApiTime('2026-12-03T12:10:42.377000')).toBe(Date.UTC(2026, 11, 3, 12, 10, 42, 377));
    expect(parseApiTime('2026-12-03T12:10:42Z')).toBe(Date.UTC(2026, 11, 3, 12, 10, 42));
    expect(parseApiTime('2026-12-03T13:10:42+01:00')).toBe(Date.UTC(2026, 11, 3, 12, 10, 42));
    expect(parseApiTime(null)).toBeNull();
    expect(parseApiTime('yesterday')).toBeNull();
  });

  it('when a time is shown, then it is UTC to the second, or a dash when there is none', () => {
    expect(formatApiTime('2026-12-03T12:10:42.377000')).toBe('2026-12-03 12:10:42');
    expect(formatApiTime(null)).toBe('-');
  });
});
