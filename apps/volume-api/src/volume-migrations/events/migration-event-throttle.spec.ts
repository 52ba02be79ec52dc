import { MigrationEventThrottle } from './migration-event-throttle';

describe('at most one event a second per migration', () => {
  let now = 0;
  let sent: string[];
  let throttle: MigrationEventThrottle<string>;

  beforeEach(() => {
    jest.useFakeTimers();
    now = 0;
    sent = [];
    throttle = new MigrationEventThrottle<string>((s) => sent.push(s), 1_000, () => now);
  });

  afterEach(() => {
    throttle.close();
    jest.useRealTimers();
  });

  function advance(ms: number): void {
    now += ms;
    jest.advanceTimersByTime(ms);
  }

  it('when events come faster than one a second, then the first goes at once and only the newest of the rest, a second later', () => {
    throttle.offer('m1', 'a', false);
    advance(200);
    throttle.offer('m1', 'b', false);
    advance(300);
    throttle.offer('m1', 'c', false);
    expect(sent).toEqual(['a']);
    advance(499);
    expect(sent).toEqual(['a']);
    advance(1);
    expect(sent).toEqual(['a', 'c']);
    advance(1_000);
    expect(sent).toEqual(['a', 'c']);
  });

  it('when the event loop runs the waiting one\'s timer late and a newer one comes after its second is up, then the newer goes and the older never goes after it', () => {
    throttle.offer('m1', 'a', false);
    now += 500;
    throttle.offer('m1', 'b', false);
    // The timer for 'b' is due at 1,000 but the loop is busy: time passes without timers running.
    now += 700;
    throttle.offer('m1', 'c', false);
    expect(sent).toEqual(['a', 'c']);
    jest.advanceTimersByTime(5_000);
    expect(sent).toEqual(['a', 'c']);
  });

  it('when two migrations change at once, then each has its own second', () => {
    throttle.offer('m1', 'a1', false);
    throttle.offer('m2', 'a2', false);
    advance(100);
    throttle.offer('m1', 'b1', false);
    expect(sent).toEqual(['a1', 'a2']);
    advance(900);
    expect(sent).toEqual(['a1', 'a2', 'b1']);
  });

  it('when the final event comes, then it goes at once and what waited is dropped (it is older)', () => {
    throttle.offer('m1', 'a', false);
    advance(100);
    throttle.offer('m1', 'b', false);
    throttle.offer('m1', 'end', true);
    expect(sent).toEqual(['a', 'end']);
    advance(2_000);
    expect(sent).toEqual(['a', 'end']);
  });

  it('when the stream closes, then nothing waiting goes out', () => {
    throttle.offer('m1', 'a', false);
    throttle.offer('m1', 'b', false);
    throttle.close();
    advance(2_000);
    expect(sent).toEqual(['a']);
  });

  it('when events come a second or more apart, then each goes at once', () => {
    for (const s of ['a', 'b', 'c']) {
      throttle.offer('m1', s, false);
      advance(1_000);
    }
    expect(sent).toEqual(['a', 'b', 'c']);
  });
});
