import { peerGoneForGood, PeerWaitBounds } from './peer-gone';

const S = 1_000;
const bounds: PeerWaitBounds = { serviceDownMs: 60 * S, peerWaitMs: 300 * S };

describe('peerGoneForGood', () => {
  it('when the peer still beats (a restart under way, a broken connection), then it is never given up on', () => {
    expect(peerGoneForGood({ now: 1_000 * S, waitingSince: 0, lastHeartbeatAt: 990 * S }, bounds)).toBe(false);
  });

  it('when its heartbeat stopped, then it is given up on only once down (service-down time) for longer than the wait', () => {
    const stoppedAt = 100 * S;
    const at = (now: number) => peerGoneForGood({ now, waitingSince: stoppedAt, lastHeartbeatAt: stoppedAt }, bounds);
    expect(at(stoppedAt + 360 * S)).toBe(false);
    expect(at(stoppedAt + 360 * S + 1)).toBe(true);
  });

  it('when the whole stack was stopped for long and the source resumes first, then the destination still gets its full wait', () => {
    const restartedAt = 10_000 * S;
    expect(peerGoneForGood({ now: restartedAt + 5 * S, waitingSince: restartedAt, lastHeartbeatAt: 0 }, bounds)).toBe(false);
    expect(peerGoneForGood({ now: restartedAt + 300 * S, waitingSince: restartedAt, lastHeartbeatAt: 0 }, bounds)).toBe(false);
    expect(peerGoneForGood({ now: restartedAt + 300 * S + 1, waitingSince: restartedAt, lastHeartbeatAt: 0 }, bounds)).toBe(true);
  });

  it('when the peer has no service row at all, then the wait counts from the first failure', () => {
    expect(peerGoneForGood({ now: 300 * S, waitingSince: 0, lastHeartbeatAt: null }, bounds)).toBe(false);
    expect(peerGoneForGood({ now: 300 * S + 1, waitingSince: 0, lastHeartbeatAt: null }, bounds)).toBe(true);
  });
});
