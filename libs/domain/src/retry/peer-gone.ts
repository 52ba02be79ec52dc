/**
 * When a migration stops waiting for the other host (its destination): a host that restarts comes
 * back, so only one that stayed away is given up on.
 */
export interface PeerWaitBounds {
  /** A host whose last heartbeat is older than this is down (Cinder's service_down_time). */
  serviceDownMs: number;
  /** How long a host may stay down before the migration gives up on it. */
  peerWaitMs: number;
}

export interface PeerSighting {
  now: number;
  /** When this migration first found the peer not answering. */
  waitingSince: number;
  /** The peer's last heartbeat; null when it has none (its service row is gone). */
  lastHeartbeatAt: number | null;
}

/**
 * Gone for good: down (heartbeat older than the service-down time) for longer than the wait. The
 * down time counts from when the wait started at the earliest, so that after a restart of the whole
 * stack a destination whose heartbeat aged while everything was stopped still gets its full wait.
 */
export function peerGoneForGood(p: PeerSighting, bounds: PeerWaitBounds): boolean {
  const downSince = p.lastHeartbeatAt === null ? p.waitingSince : Math.max(p.waitingSince, p.lastHeartbeatAt + bounds.serviceDownMs);
  return p.now - downSince > bounds.peerWaitMs;
}
