import { formatBytes, formatBytesCompact, formatDuration, formatEta, formatRate, formatStall, parseSize } from './units';

describe('sizes and rates as an operator types and reads them', () => {
  it.each([
    ['200M', 200 * 1024 ** 2],
    ['64m', 64 * 1024 ** 2],
    ['1.5G', 1.5 * 1024 ** 3],
    ['512K', 512 * 1024],
    ['2T', 2 * 1024 ** 4],
    ['64MiB', 64 * 1024 ** 2],
    ['64Mi', 64 * 1024 ** 2],
    ['64 MiB/s', 64 * 1024 ** 2],
    ['100MB', 100_000_000],
    ['100MB/s', 100_000_000],
    ['1GB', 1_000_000_000],
    ['1000', 1000],
    ['4096B', 4096],
    ['8Mps', 8 * 1024 ** 2],
  ])('when %s is given, then it is %d bytes', (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });

  it.each(['', 'fast', '-5M', '0', '0.1', '5X', '5 M B', '1e3', 'M', '9999999999T'])('when %j is given, then it is refused with a RangeError naming it', (text) => {
    expect(() => parseSize(text)).toThrow(RangeError);
    expect(() => parseSize(text)).toThrow(`'${text}'`);
  });

  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1024, '1.0 KiB'],
    [1536, '1.5 KiB'],
    [460.8 * 1024 ** 2, '460.8 MiB'],
    [1024 ** 3, '1.0 GiB'],
    [5 * 1024 ** 4, '5.0 TiB'],
    [null, '-'],
    [undefined, '-'],
    [NaN, '-'],
  ])('when %p bytes are shown, then they read %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });

  it.each([
    [0, '0 B'],
    [512, '512 B'],
    [128 * 1024 ** 2, '128 MiB'],
    [384 * 1024 ** 2, '384 MiB'],
    [1024 ** 3, '1 GiB'],
    [1.25 * 1024 ** 3, '1.25 GiB'],
    [1.125 * 1024 ** 3, '1.125 GiB'],
  ])('when %p bytes label a chart tick, then they read %s, exact and without trailing zeros', (bytes, text) => {
    expect(formatBytesCompact(bytes)).toBe(text);
  });

  it('when a rate is shown, then it is binary units per second, or a dash when there is none', () => {
    expect(formatRate(64 * 1024 ** 2)).toBe('64.0 MiB/s');
    expect(formatRate(null)).toBe('-');
  });

  it.each([
    [0, '0s'],
    [9.4, '9s'],
    [65, '1m 05s'],
    [3725, '1h 02m 05s'],
    [-3, '0s'],
    [null, '-'],
  ])('when %p seconds are shown, then they read %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });
});

describe('the ETA by its state (eta_state of issue 14)', () => {
  it.each([
    [65, 'ready', '1m 05s'],
    [null, 'measuring', 'measuring'],
    [120, 'measuring', 'measuring'],
    [3725, 'throttled', '1h 02m 05s (throttled)'],
    [null, 'throttled', 'throttled'],
    [null, 'stalled', 'stalled'],
    [30, 'stalled', 'stalled'],
    [null, 'unknown', '-'],
    [null, null, '-'],
    [10, undefined, '10s'],
  ])('when the ETA is %p and its state %p, then it reads %s', (seconds, state, text) => {
    expect(formatEta(seconds, state)).toBe(text);
  });

  it.each([
    [45, 'stalled for 45 s'],
    [180, 'stalled for 3 min'],
    [239, 'stalled for 3 min'],
    [3600, 'stalled for 1 h'],
    [7500, 'stalled for 2 h 5 min'],
  ])('when no byte has moved for %d s, then the warning reads %s', (seconds, text) => {
    expect(formatStall(seconds)).toBe(text);
  });
});
