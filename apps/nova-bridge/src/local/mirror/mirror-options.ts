import type { BlockFile } from './block-file';

const KIB = 1024;
const MIB = 1024 * KIB;
const DEFAULT_GRANULARITY = 64 * KIB;
const DEFAULT_CHUNK_BYTES = MIB;
const DEFAULT_MAX_IN_FLIGHT = 16;
const DEFAULT_SYNC_AFTER_PASSES = 3;
const DEFAULT_SYNC_AFTER_MS = 60_000;

export interface MirrorOptions {
  /** Dirty-bitmap granularity: a power of two from 512 B to 64 MiB (QEMU's range), default 64 KiB. */
  granularity?: number;
  /** Copy chunk, a multiple of the granularity; default 1 MiB (or the granularity when larger). */
  chunkBytes?: number;
  /** Chunks the copier has in flight at most, default 16. */
  maxInFlight?: number;
  /** Switch to write-blocking (guest writes go to both) after this many full passes that ended dirty, default 3. */
  syncAfterPasses?: number;
  /** ...or once the mirror has run this long, default 60 000 ms. */
  syncAfterMs?: number;
  /** Copy rate limit (guest writes are never limited), 0 = unlimited. */
  bytesPerSecond?: number;
  /**
   * Whether the target reads as zeroes, so that the copier may skip all-zero source ranges. Unset:
   * true when the target has no allocated blocks (a fresh sparse file, as our file backend makes).
   */
  targetZeroed?: boolean;
  /**
   * The target holds an earlier, interrupted copy of this device (a swap resumed after a restart;
   * what the guest wrote since is unknown, no dirty map having survived): the mirror still goes
   * over every granule, as a first copy does, but reads each back from the target and writes only
   * those that differ. A full re-copy in effect, that rewrites only what changed. Unset: false.
   */
  resync?: boolean;
  /** For tests. */
  hooks?: MirrorHooks;
}

export interface MirrorHooks {
  /** Opens the target instead of opening the file read-write (to inject failing writers). */
  openTarget?(path: string): Promise<BlockFile>;
}

export type MirrorMode = 'background' | 'write-blocking';
export type MirrorState = 'copying' | 'ready' | 'pivoted' | 'failed' | 'cancelled';

export interface MirrorStats {
  /** Bytes processed so far (copied, skipped as zeroes, or mirrored synchronously); only grows. */
  cur: number;
  /** Of `cur`, the bytes written to the target (zeroes skipped are not): what the copy's rate goes by. */
  written: number;
  /** `cur + dirtyBytes + inFlightBytes`: grows when the guest dirties copied regions. */
  end: number;
  dirtyBytes: number;
  inFlightBytes: number;
  /** Full sweeps of the copier over the device. */
  passes: number;
  mode: MirrorMode;
  state: MirrorState;
}

/** Why a mirror cannot do what was asked: it failed, was cancelled, or has pivoted already. */
export class MirrorError extends Error {
  override readonly name = 'MirrorError';

  constructor(
    message: string,
    readonly state: MirrorState,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export interface ResolvedMirrorOptions {
  granularity: number;
  chunkBytes: number;
  maxInFlight: number;
  syncAfterPasses: number;
  syncAfterMs: number;
  bytesPerSecond: number;
}

/** The options with their defaults; a RangeError names the first bad one. */
export function resolveMirrorOptions(opts: MirrorOptions): ResolvedMirrorOptions {
  const granularity = opts.granularity ?? DEFAULT_GRANULARITY;
  if (!Number.isSafeInteger(granularity) || granularity < 512 || granularity > 64 * MIB || (granularity & (granularity - 1)) !== 0) {
    throw new RangeError(`granularity must be a power of two from 512 to 64 MiB, got ${granularity}`);
  }
  const chunkBytes = opts.chunkBytes ?? Math.max(DEFAULT_CHUNK_BYTES, granularity);
  if (!Number.isSafeInteger(chunkBytes) || chunkBytes <= 0 || chunkBytes % granularity !== 0) {
    throw new RangeError(`chunkBytes must be a positive multiple of the granularity (${granularity}), got ${chunkBytes}`);
  }
  const bytesPerSecond = nonNegative('bytesPerSecond', opts.bytesPerSecond ?? 0);
  return {
    granularity,
    chunkBytes,
    maxInFlight: positiveInt('maxInFlight', opts.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT),
    syncAfterPasses: nonNegative('syncAfterPasses', opts.syncAfterPasses ?? DEFAULT_SYNC_AFTER_PASSES),
    syncAfterMs: nonNegative('syncAfterMs', opts.syncAfterMs ?? DEFAULT_SYNC_AFTER_MS),
    bytesPerSecond,
  };
}

function positiveInt(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}

function nonNegative(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a number >= 0, got ${value}`);
  return value;
}
