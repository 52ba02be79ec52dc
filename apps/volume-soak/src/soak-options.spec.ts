import { parseSoakOptions, SoakUsageError } from './soak-options';

describe('soak options', () => {
  it('when nothing is given, then it runs 10 minutes with a drawn seed and the defaults', () => {
    const opts = parseSoakOptions([], {});
    expect(opts).toMatchObject({ minutes: 10, actors: 4, volumes: 8, dataMib: 16, copyMibPerSecond: 4, faultGapSeconds: [8, 20], settleSeconds: 120, keep: false });
    expect(Number.isSafeInteger(opts?.seed)).toBe(true);
  });

  it('when SOAK_MINUTES is set, then it is the duration; --minutes wins over it', () => {
    expect(parseSoakOptions([], { SOAK_MINUTES: '3' })?.minutes).toBe(3);
    expect(parseSoakOptions(['--minutes', '0.5'], { SOAK_MINUTES: '3' })?.minutes).toBe(0.5);
  });

  it('when a seed is given, then it is kept as given (a replay)', () => {
    expect(parseSoakOptions(['--seed', '12345'], {})?.seed).toBe(12345);
  });

  it('when --fault-gap is MIN,MAX, then both bounds are read', () => {
    expect(parseSoakOptions(['--fault-gap', '2,5'], {})?.faultGapSeconds).toEqual([2, 5]);
  });

  it('when --help is given, then there is nothing to run', () => {
    expect(parseSoakOptions(['--help'], {})).toBeNull();
  });

  it.each<[string[], RegExp, NodeJS.ProcessEnv?]>([
    [['--minutes', '0'], /--minutes must be a positive number/],
    [['--minutes', 'ten'], /--minutes must be a positive number/],
    [[], /SOAK_MINUTES must be a positive number/, { SOAK_MINUTES: '-1' }],
    [['--seed', '1.5'], /--seed must be an integer/],
    [['--actors', '2.5'], /--actors must be a positive integer/],
    [['--data-mib', '6'], /multiple of 4/],
    [['--volumes', '2'], /at least 3/],
    [['--fault-gap', '9,3'], /MIN must not exceed MAX/],
    [['--fault-gap', '9'], /MIN,MAX/],
    [['--bogus'], /Unknown option '--bogus'/],
    [['stray'], /positional/i],
  ])('when given %j, then it is refused with a message naming the problem', (argv, message, env = {}) => {
    expect(() => parseSoakOptions(argv, env)).toThrow(SoakUsageError);
    expect(() => parseSoakOptions(argv, env)).toThrow(message);
  });
});
