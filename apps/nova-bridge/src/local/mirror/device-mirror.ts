import { setMaxListeners } from 'node:events';
import { ByteThrottle } from '@volume/platform';
import { BlockFile, BlockFileStat, openBlockFile } from './block-file';
import { ChunkLocks } from './chunk-locks';
import { DirtyBitmap } from './dirty-bitmap';
import { partsToWrite } from './holes';
import { MirrorError, MirrorMode, MirrorOptions, MirrorState, MirrorStats, resolveMirrorOptions } from './mirror-options';

export type { MirrorHooks, MirrorMode, MirrorOptions, MirrorState, MirrorStats } from './mirror-options';
export { MirrorError } from './mirror-options';

/**
 * What a GuestDevice lends its mirror. Nothing here writes the source: the mirror never does.
 * @internal
 */
export interface MirrorHost {
  readSource(offset: number, length: number): Promise<Buffer>;
  statSource(): Promise<BlockFileStat>;
  drain(): Promise<void>;
  undrain(): void;
  /** The commit point has passed: the device runs on `target` from now on and lets the source go. */
  adoptTarget(mirror: DeviceMirror, path: string, target: BlockFile): Promise<void>;
  /** The mirror ended without a pivot: guest I/O goes to the source only. */
  detach(mirror: DeviceMirror): void;
}

function ignore(): void {
  // Settled elsewhere, or nothing left to do about it.
}

/**
 * QEMU's `drive-mirror` of one guest device onto a target file (nova-bridge-notes §4, §5.3).
 *
 * Every granule starts dirty (`sync=full`). The copier sweeps the device chunk by chunk, clearing
 * a chunk's bits before it reads the source, so a guest write that lands meanwhile dirties it
 * again. A copy and a guest write to the same chunk never interleave (chunk locks). In background
 * mode a guest write writes the source and then dirties what it touched; once the copy fails to
 * converge (passes or time), guest writes also write the target (write-blocking), so the dirty
 * set only shrinks. Target errors fail the mirror and detach it; they never reach the guest.
 *
 * Use `GuestDevice.startMirror`.
 */
export class DeviceMirror {
  /** Resolves when converged once: dirty = 0, in-flight = 0, target fdatasync'd. Rejects with a MirrorError on failure or cancel. */
  readonly ready: Promise<void>;
  private resolveReady!: () => void;
  private rejectReady!: (err: MirrorError) => void;

  private state: MirrorState = 'copying';
  private mode: MirrorMode = 'background';
  private cur = 0;
  private passes = 0;
  private passesEndedDirty = 0;
  private cursor = 0;
  private copyInFlightBytes = 0;
  private activeWriteBytes = 0;
  private copiesInFlight = 0;
  /** Copies in flight plus those paying the rate limit afterwards: at most maxInFlight. */
  private slotsInUse = 0;
  private readonly copying = new Set<number>();
  private paused = false;
  private pivoting: Promise<boolean> | null = null;

  private readonly dirty: DirtyBitmap;
  /** Target granules this mirror wrote: only elsewhere may a zeroed target be trusted to read as zeroes. */
  private readonly written: DirtyBitmap;
  private readonly locks = new ChunkLocks();
  private readonly pacer: ByteThrottle;
  private readonly abort = new AbortController();
  private readonly startedAt = performance.now();
  private readonly maxInFlight: number;
  private readonly syncAfterPasses: number;
  private readonly syncAfterMs: number;

  private target: BlockFile | null = null;
  private targetZeroed = false;
  private targetOps = 0;
  private readonly opened: Promise<void>;
  private closingTarget: Promise<void> | null = null;
  private failure: unknown = null;
  private changeWaiters: (() => void)[] = [];

  /** Validates the options synchronously (RangeError), then starts opening the target and copying. */
  constructor(
    private readonly host: MirrorHost,
    readonly targetPath: string,
    readonly sizeBytes: number,
    private readonly opts: MirrorOptions = {},
  ) {
    const { granularity, chunkBytes, maxInFlight, syncAfterPasses, syncAfterMs, bytesPerSecond } = resolveMirrorOptions(opts);
    this.maxInFlight = maxInFlight;
    this.syncAfterPasses = syncAfterPasses;
    this.syncAfterMs = syncAfterMs;
    // SWAP_COPY_BPS_LIMIT paces the copier only, never guest writes; an idle copier lends no credit.
    this.pacer = new ByteThrottle(bytesPerSecond, { burstMs: 0 });
    // Every chunk in flight may wait in the pacer on this signal.
    setMaxListeners(this.maxInFlight + 10, this.abort.signal);
    this.dirty = new DirtyBitmap(sizeBytes, granularity, chunkBytes, true);
    this.written = new DirtyBitmap(sizeBytes, granularity, chunkBytes, false);

    this.ready = new Promise<void>((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    // Nobody need be waiting on `ready` when the mirror fails; that is not an unhandled rejection.
    this.ready.catch(ignore);
    this.opened = this.openTarget();
    void this.run();
  }

  stats(): MirrorStats {
    const dirtyBytes = this.dirty.dirtyBytes;
    const inFlightBytes = this.copyInFlightBytes + this.activeWriteBytes;
    return { cur: this.cur, end: this.cur + dirtyBytes + inFlightBytes, dirtyBytes, inFlightBytes, passes: this.passes, mode: this.mode, state: this.state };
  }

  /** Why the mirror failed, once it has. */
  get error(): unknown {
    return this.failure;
  }

  /**
   * Drains guest I/O, re-checks dirty = 0 (else undrains, returns false and keeps mirroring),
   * fdatasyncs the target, awaits `commit()` (the commit point), then the device runs on the
   * target. If `commit()` throws: stays on the source, undrains, rethrows, mirroring goes on.
   * Before the mirror is ready it returns false at once, as nothing converged yet.
   */
  async pivot(commit: () => Promise<void>): Promise<boolean> {
    if (this.pivoting) throw new MirrorError('a pivot of this mirror is already in progress', this.state);
    this.assertActive();
    if (this.state !== 'ready') return false;
    this.pivoting = this.drainAndPivot(commit);
    try {
      return await this.pivoting;
    } finally {
      this.pivoting = null;
    }
  }

  /** Stops the copier, closes the target; the guest stays on the source. Idempotent; no-op after a pivot. */
  async cancel(reason: string): Promise<void> {
    if (this.pivoting) await this.pivoting.catch(ignore);
    if (this.isActive()) {
      this.state = 'cancelled';
      this.stop(new MirrorError(`mirror to ${this.targetPath} cancelled: ${reason}`, 'cancelled'));
    }
    if (this.state !== 'pivoted') await this.closeTarget();
  }

  /** @internal GuestDevice takes the chunk locks of a guest write before writing the source. */
  lockForGuestWrite(offset: number, length: number): Promise<() => void> {
    return this.locks.acquire(this.dirty.chunksOf(offset, length));
  }

  /** @internal After a guest write to the source (chunk locks still held). Never throws. */
  async afterGuestWrite(offset: number, data: Buffer, sourceWritten: boolean): Promise<void> {
    if (!this.isActive()) return;
    if (this.mode === 'write-blocking' && sourceWritten && this.target) {
      this.activeWriteBytes += data.length;
      try {
        this.written.set(offset, data.length);
        await this.targetOp((target) => target.write(offset, data));
        this.cur += data.length;
      } catch (err) {
        this.fail(err);
      } finally {
        this.activeWriteBytes -= data.length;
      }
      return;
    }
    // A failed source write may have changed part of the range: copy it again either way.
    this.dirty.set(offset, data.length);
    this.changed();
  }

  /** @internal After a guest flush of the source: in write-blocking mode the target holds guest writes too. Never throws. */
  async afterGuestFlush(): Promise<void> {
    if (!this.isActive() || this.mode !== 'write-blocking' || !this.target) return;
    try {
      await this.targetOp((target) => target.datasync());
    } catch (err) {
      this.fail(err);
    }
  }

  private isActive(): boolean {
    return this.state === 'copying' || this.state === 'ready';
  }

  private assertActive(): void {
    if (this.state === 'failed') throw new MirrorError(`mirror to ${this.targetPath} failed`, 'failed', { cause: this.failure });
    if (this.state === 'cancelled') throw new MirrorError(`mirror to ${this.targetPath} was cancelled`, 'cancelled');
    if (this.state === 'pivoted') throw new MirrorError(`mirror to ${this.targetPath} has pivoted already`, 'pivoted');
  }

  private async openTarget(): Promise<void> {
    const target = await (this.opts.hooks?.openTarget ?? openBlockFile)(this.targetPath);
    this.target = target;
    if (!this.isActive()) return;
    const [t, s] = await Promise.all([target.stat(), this.host.statSource()]);
    if (t.dev === s.dev && t.ino === s.ino) throw new Error(`the target ${this.targetPath} is the device's own file`);
    if (t.size < this.sizeBytes) throw new Error(`the target ${this.targetPath} (${t.size} bytes) is smaller than the device (${this.sizeBytes} bytes)`);
    this.targetZeroed = this.opts.targetZeroed ?? t.blocks === 0;
  }

  private async run(): Promise<void> {
    try {
      await this.opened;
      if (!this.isActive()) return;
      // Guest writes that started before the mirror went straight to the source, unseen: let them
      // end before the first copy, as QEMU inserts its filter node in a drained section.
      await this.host.drain();
      this.host.undrain();
      while (this.isActive()) {
        this.maybeSwitchToWriteBlocking();
        if (this.paused || this.slotsInUse >= this.maxInFlight) {
          await this.nextChange();
          continue;
        }
        const chunk = this.dirty.nextDirtyChunk(this.cursor, (c) => this.copying.has(c));
        if (chunk >= 0) {
          this.cursor = chunk + 1;
          this.launchCopy(chunk);
        } else if (this.cursor > 0) {
          this.cursor = 0;
          this.passes++;
          if (this.dirty.dirtyBytes > 0) this.passesEndedDirty++;
        } else if (this.state === 'copying' && this.dirty.dirtyBytes === 0 && this.copiesInFlight === 0) {
          await this.targetOp((target) => target.datasync());
          if (this.state !== 'copying') continue;
          this.state = 'ready';
          this.resolveReady();
        } else {
          await this.nextChange();
        }
      }
    } catch (err) {
      this.fail(err);
    }
  }

  private maybeSwitchToWriteBlocking(): void {
    if (this.mode === 'write-blocking') return;
    if (this.passesEndedDirty >= this.syncAfterPasses || performance.now() - this.startedAt >= this.syncAfterMs) {
      this.mode = 'write-blocking';
    }
  }

  private launchCopy(chunk: number): void {
    this.copying.add(chunk);
    this.copiesInFlight++;
    this.slotsInUse++;
    this.copyChunk(chunk)
      .finally(() => {
        this.copying.delete(chunk);
        this.copiesInFlight--;
        this.changed();
      })
      // Paid after the copy, outside the chunk lock, so that a rate limit never holds guest writes
      // up (QEMU too sleeps between iterations). Holes cost nothing.
      .then((bytesWritten) => this.pacer.take(bytesWritten, this.abort.signal))
      .catch((err: unknown) => this.fail(err))
      .finally(() => {
        this.slotsInUse--;
        this.changed();
      });
  }

  /** Copies the chunk's dirty runs; resolves with the bytes it wrote to the target. */
  private async copyChunk(chunk: number): Promise<number> {
    const release = await this.locks.acquire([chunk]);
    let bytesWritten = 0;
    try {
      if (!this.isActive()) return 0;
      // Cleared before the read: a guest write from now on dirties the chunk again.
      const runs = this.dirty.takeChunk(chunk);
      let pending = runs.reduce((sum, run) => sum + run.length, 0);
      this.copyInFlightBytes += pending;
      try {
        for (const { offset, length } of runs) {
          const data = await this.host.readSource(offset, length);
          const parts = this.targetZeroed ? partsToWrite(offset, data, this.dirty.granularity, this.written) : [{ offset, data }];
          for (const part of parts) {
            this.written.set(part.offset, part.data.length);
            await this.targetOp((target) => target.write(part.offset, part.data));
            bytesWritten += part.data.length;
          }
          this.copyInFlightBytes -= length;
          pending -= length;
          this.cur += length;
        }
      } finally {
        this.copyInFlightBytes -= pending;
      }
    } finally {
      release();
    }
    return bytesWritten;
  }

  private async drainAndPivot(commit: () => Promise<void>): Promise<boolean> {
    this.paused = true;
    let drained = false;
    try {
      await this.host.drain();
      drained = true;
      while (this.copiesInFlight > 0 && this.isActive()) await this.nextChange();
      this.assertActive();
      if (this.dirty.dirtyBytes > 0) return false;
      await this.targetOp((target) => target.datasync()).catch((err: unknown) => {
        this.fail(err);
        this.assertActive();
      });
      await commit();
      const target = this.target as BlockFile;
      this.state = 'pivoted';
      this.target = null;
      await this.host.adoptTarget(this, this.targetPath, target);
      this.finish();
      return true;
    } finally {
      if (this.state !== 'pivoted') {
        this.paused = false;
        this.changed();
      }
      if (drained) this.host.undrain();
    }
  }

  /** Runs one target I/O; refused once the target is closing, so that closing can wait for the last one. */
  private async targetOp<T>(op: (target: BlockFile) => Promise<T>): Promise<T> {
    const target = this.target;
    if (!target || this.closingTarget) throw new Error(`the mirror target ${this.targetPath} is closed`);
    this.targetOps++;
    try {
      return await op(target);
    } finally {
      this.targetOps--;
      this.changed();
    }
  }

  private fail(err: unknown): void {
    if (!this.isActive()) return;
    this.failure = err;
    this.state = 'failed';
    const message = err instanceof Error ? err.message : String(err);
    this.stop(new MirrorError(`mirror to ${this.targetPath} failed: ${message}`, 'failed', { cause: err }));
    void this.closeTarget();
  }

  /** Ends a mirror without a pivot: the guest stays on the source only. */
  private stop(reason: MirrorError): void {
    this.abort.abort(reason);
    this.host.detach(this);
    this.rejectReady(reason);
    this.finish();
  }

  private finish(): void {
    this.changed();
  }

  private closeTarget(): Promise<void> {
    this.closingTarget ??= (async () => {
      await this.opened.catch(ignore);
      while (this.targetOps > 0) await this.nextChange();
      await this.target?.close().catch(ignore);
      this.target = null;
    })();
    return this.closingTarget;
  }

  private nextChange(): Promise<void> {
    return new Promise((resolve) => this.changeWaiters.push(resolve));
  }

  private changed(): void {
    const waiters = this.changeWaiters;
    this.changeWaiters = [];
    for (const wake of waiters) wake();
  }
}
