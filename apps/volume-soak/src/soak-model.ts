import { DRILL_HOSTS } from '@volume/testing-stack';
import { SeededRandom } from './seeded-random';

export const POOLS = ['pool1', 'pool2'] as const;
const BACKEND = 'file';

/** What the soak knows of a volume it created. */
export interface SoakVolume {
  id: string;
  /** sha256 of its whole device once the data is written and synced; null when the write never completed. */
  sha256: string | null;
  /**
   * `available`/`in-use`/`error` as last seen when nothing was under way; `unknown` when it did not
   * settle after a failed operation (no operation picks it; the final check judges it).
   */
  state: 'available' | 'in-use' | 'error' | 'unknown';
  /** The compute server it is attached to, through nova-bridge. */
  serverId: string | null;
  /** Its location as last seen, `host@file#pool`. */
  host: string | null;
  /** An actor is working on it. */
  busy: boolean;
  /** A delete was accepted: its row may go. */
  deleteAccepted: boolean;
}

/** `host@backend#pool` split, or null for anything else (an unplaced volume). */
export function parseLocation(host: string | null): { host: string; pool: string } | null {
  const m = /^([^@#]+)@[^#]+#(.+)$/.exec(host ?? '');
  return m ? { host: m[1], pool: m[2] } : null;
}

export function location(host: string, pool: string): string {
  return `${host}@${BACKEND}#${pool}`;
}

/** Destinations of a move from `from`: the other pool of its host (driver-assisted), or a pool of the other host. */
export function destinations(from: string): { sameHost: string; otherHost: string[] } {
  const loc = parseLocation(from);
  if (!loc) throw new Error(`volume location ${JSON.stringify(from)} is not host@backend#pool`);
  const otherPool = POOLS.find((p) => p !== loc.pool) as string;
  const otherHost = DRILL_HOSTS.find((h) => h !== loc.host) as string;
  return { sameHost: location(loc.host, otherPool), otherHost: POOLS.map((p) => location(otherHost, p)) };
}

/** The soak's volumes, shared by the actors; each takes one (`claim`) before acting on it. */
export class SoakModel {
  readonly volumes = new Map<string, SoakVolume>();

  add(id: string): SoakVolume {
    const vol: SoakVolume = { id, sha256: null, state: 'unknown', serverId: null, host: null, busy: true, deleteAccepted: false };
    this.volumes.set(id, vol);
    return vol;
  }

  /** Volumes still there as far as the soak knows (not deleted by it). */
  get live(): SoakVolume[] {
    return [...this.volumes.values()].filter((v) => !v.deleteAccepted);
  }

  idle(state: SoakVolume['state']): SoakVolume[] {
    return this.live.filter((v) => !v.busy && v.state === state && (state !== 'in-use' || v.serverId !== null));
  }

  /** A random idle volume in `state`, taken; null when there is none. */
  claim(rng: SeededRandom, state: SoakVolume['state']): SoakVolume | null {
    const candidates = this.idle(state);
    if (candidates.length === 0) return null;
    const vol = rng.pick(candidates);
    vol.busy = true;
    return vol;
  }

  release(vol: SoakVolume): void {
    vol.busy = false;
  }
}
