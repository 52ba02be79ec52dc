import { setTimeout as sleep } from 'node:timers/promises';

/** What the copy engine waits on before it sends a block: ByteThrottle (the host's), or a migration's own limit. */
export interface CopyThrottle {
  take(bytes: number, signal?: AbortSignal): Promise<void>;
}

/** Like ByteThrottle's: what an idle copy may send at once when it starts again. */
const BURST_MS = 100;

/**
 * One migration's own bandwidth limit (3.73's os-migrate_volume_set_bandwidth), which an admin
 * changes while the copy runs: a block waiting under the old limit is judged again under the new
 * one at once (the time it already waited counts), rather than after a wait the old limit set.
 * `null` or 0: no limit of its own (the host's VOLUME_COPY_BPS_LIMIT still applies: see `inTurn`).
 */
export class CopyBandwidth implements CopyThrottle {
  private bytesPerSecond: number;
  private freeAt = Number.NEGATIVE_INFINITY;
  private changed = new AbortController();

  constructor(bytesPerSecond: number | null) {
    this.bytesPerSecond = checked(bytesPerSecond);
  }

  /** The limit now, bytes per second; 0: none of its own. */
  get limit(): number {
    return this.bytesPerSecond;
  }

  set(bytesPerSecond: number | null): void {
    this.bytesPerSecond = checked(bytesPerSecond);
    const previous = this.changed;
    this.changed = new AbortController();
    previous.abort();
  }

  async take(bytes: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    const base = Math.max(this.freeAt, performance.now() - BURST_MS);
    for (;;) {
      if (this.bytesPerSecond === 0 || bytes <= 0) {
        this.freeAt = Math.max(this.freeAt, performance.now());
        return;
      }
      const due = base + (bytes * 1000) / this.bytesPerSecond;
      const waitMs = due - performance.now();
      if (waitMs > 0) {
        const changed = this.changed.signal;
        try {
          await sleep(waitMs, undefined, { signal: signal ? AbortSignal.any([signal, changed]) : changed });
        } catch (err) {
          if (signal?.aborted) throw signal.reason ?? err;
          continue;
        }
      }
      this.freeAt = due;
      return;
    }
  }
}

/** Both limits, one after the other: a migration's own, then the host's budget that all copies share. */
export function inTurn(...throttles: (CopyThrottle | undefined)[]): CopyThrottle {
  return {
    async take(bytes, signal) {
      for (const t of throttles) await t?.take(bytes, signal);
    },
  };
}

function checked(bytesPerSecond: number | null): number {
  const n = bytesPerSecond ?? 0;
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`bytesPerSecond must be a whole number >= 0 or null, got ${bytesPerSecond}`);
  return n;
}
