import { classifyFailure, Failure, FaultWindow, overlappingFaults, Tally } from './tally';

const http = (status: number): Failure => ({ kind: 'http', step: 'migrate', status, text: '{}' });
const network: Failure = { kind: 'network', step: 'create', callee: 'volume-api', message: 'ECONNREFUSED' };

describe('classifying a failed operation', () => {
  it('when the API answers 503, then it is expected (a dependency is down), with or without a fault', () => {
    expect(classifyFailure(http(503), { refusal: false, faults: [] })).toBe('expected');
  });

  it('when the API answers 500, then it is unexpected, even during a fault', () => {
    expect(classifyFailure(http(500), { refusal: false, faults: ['postgres'] })).toBe('unexpected');
  });

  it('when a request that must be refused gets a 4xx, then it is expected; an ordinary request refused is not', () => {
    expect(classifyFailure(http(400), { refusal: true, faults: [] })).toBe('expected');
    expect(classifyFailure(http(400), { refusal: false, faults: ['nats'] })).toBe('unexpected');
  });

  it('when the callee does not answer, then it is expected only if that app was killed meanwhile', () => {
    expect(classifyFailure(network, { refusal: false, faults: ['volume-api'] })).toBe('expected');
    expect(classifyFailure(network, { refusal: false, faults: ['nova-bridge', 'postgres'] })).toBe('unexpected');
  });

  it('when the end state is wrong (a migration ended in error), then it is unexpected whatever the fault', () => {
    expect(classifyFailure({ kind: 'outcome', step: 'migrate', message: 'error' }, { refusal: false, faults: ['worker'] })).toBe('unexpected');
  });
});

describe('faults that overlap an operation', () => {
  const windows: FaultWindow[] = [
    { kind: 'nats', target: 'nats', start: 1_000, end: 2_000 },
    { kind: 'worker', target: 'host-a', start: 10_000, end: 11_000 },
    { kind: 'postgres', target: 'postgres', start: 20_000 },
  ];

  it('when an operation starts within the grace after a heal, then that fault counts; after it, not', () => {
    expect(overlappingFaults(windows, 2_500, 3_000, 1_000)).toEqual(['nats']);
    expect(overlappingFaults(windows, 3_500, 4_000, 1_000)).toEqual([]);
  });

  it('when a fault lasts still, then every operation running since counts it', () => {
    expect(overlappingFaults(windows, 9_000, 25_000, 0)).toEqual(['worker', 'postgres']);
  });
});

describe('the tally', () => {
  it('when operations end, then each outcome is counted under its kind, and unexpected ones are listed and told', () => {
    const tally = new Tally();
    const told: string[] = [];
    tally.onUnexpected = (u) => told.push(u.message);
    tally.ok('create');
    tally.failed('migrate-host', 'v1', http(503), false, 0, 1);
    tally.failed('migrate-host', 'v1', http(500), false, 0, 1);
    expect(tally.operations.get('create')).toEqual({ ok: 1, expected: 0, unexpected: 0 });
    expect(tally.operations.get('migrate-host')).toEqual({ ok: 0, expected: 1, unexpected: 1 });
    expect(told).toEqual(['migrate: HTTP 500 {}']);
  });

  it('when a fault starts, then it is counted by kind and its window is open until healed', () => {
    const tally = new Tally();
    const w = tally.faultStarted('worker', 'host-b');
    expect(tally.faults.get('worker')).toBe(1);
    expect(w.end).toBeUndefined();
  });
});
