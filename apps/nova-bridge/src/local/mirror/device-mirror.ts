import { setMaxListeners } from 'node:events';
import { ByteThrottle } from '@volume/platform';
import { ChangeSignal } from './change-signal';
import { ChunkLocks } from './chunk-locks';
import { DirtyBitmap } from './dirty-bitmap';
import type { MirrorHost } from './mirror-host';
import { MirrorError, MirrorMode, MirrorOptions, MirrorState, MirrorStats, resolveMirrorOptions } from './mirror-options';
import { ignore, MirrorTarget } from './mirror-target';

export type { MirrorHost } from './mirror-host';
export type { MirrorHooks, MirrorMode, MirrorOptions, MirrorState, MirrorStats } from './mirror-options';
export { MirrorError } from './mirror-options';

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
  private written = 0;
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
  private readonly locks = new ChunkLocks();
  private readonly pacer: ByteThrottle;
  private readonly abort = new AbortController();
  private readonly startedAt = performance.now();
  private readonly maxInFlight: number;
  private readonly syncAfterPasses: number;
  private readonly syncAfterMs: number;

  private readonly changes = new ChangeSignal();
  private readonly target: MirrorTarget;
  private readonly opened: Promise<void>;
  private failure: unknown = null;

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
    this.target = new MirrorTarget(targetPath, sizeBytes, granularity, chunkBytes, this.changes);

    this.ready = new Promise<void>((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    // Nobody need be waiting on `ready` when the mirror fails; that is not an unhandled rejection.
    this.ready.catch(ignore);
    this.opened = this.target.open(sizeBytes, this.opts, host, () => this.isActive());
    void this.run();
  }

  /** The copy's pace from now on (0: unlimited): chunks waiting in the pacer are judged again at once. */
  setBandwidth(bytesPerSecond: number): void {
    this.pacer.setRate(bytesPerSecond);
  }

  stats(): MirrorStats {
    const dirtyBytes = this.dirty.dirtyBytes;
    const inFlightBytes = this.copyInFlightBytes + this.activeWriteBytes;
    return { cur: this.cur, written: this.written, end: this.cur + dirtyBytes + inFlightBytes, dirtyBytes, inFlightBytes, passes: this.passes, mode: this.mode, state: this.state };
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
    if (this.state !== 'pivoted') await this.target.close();
  }

  /** @internal GuestDevice takes the chunk locks of a guest write before writing the source. */
  lockForGuestWrite(offset: number, length: number): Promise<() => void> {
    return this.locks.acquire(this.dirty.chunksOf(offset, length));
  }

  /** @internal After a guest write to the source (chunk locks still held). Never throws. */
  async afterGuestWrite(offset: number, data: Buffer, sourceWritten: boolean): Promise<void> {
    if (!this.isActive()) return;
    if (this.mode === 'write-blocking' && sourceWritten && this.target.isOpen) {
      this.activeWriteBytes += data.length;
      try {
        await this.target.write(offset, data);
        this.cur += data.length;
        this.written += data.length;
      } catch (err) {
        this.fail(err);
      } finally {
        this.activeWriteBytes -= data.length;
      }
      return;
    }
    // A failed source write may have changed part of the range: copy it again either way.
    this.dirty.set(offset, data.length);
    this.changes.notify();
  }

  /** @internal After a guest flush of the source: in write-blocking mode the target holds guest writes too. Never throws. */
  async afterGuestFlush(): Promise<void> {
    if (!this.isActive() || this.mode !== 'write-blocking' || !this.target.isOpen) return;
    try {
      await this.target.datasync();
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
          await this.changes.next();
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
          await this.target.datasync();
          if (this.state !== 'copying') continue;
          this.state = 'ready';
          this.resolveReady();
        } else {
          await this.changes.next();
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
        this.changes.notify();
      })
      // Paid after the copy, outside the chunk lock, so that a rate limit never holds guest writes
      // up (QEMU too sleeps between iterations). Holes cost nothing.
      .then((bytesWritten) => this.pacer.take(bytesWritten, this.abort.signal))
      .catch((err: unknown) => this.fail(err))
      .finally(() => {
        this.slotsInUse--;
        this.changes.notify();
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
          for (const part of await this.target.partsOf(offset, data)) {
            await this.target.write(part.offset, part.data);
            bytesWritten += part.data.length;
            this.written += part.data.length;
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
      while (this.copiesInFlight > 0 && this.isActive()) await this.changes.next();
      this.assertActive();
      if (this.dirty.dirtyBytes > 0) return false;
      await this.target.datasync().catch((err: unknown) => {
        this.fail(err);
        this.assertActive();
      });
      await commit();
      const target = this.target.release();
      this.state = 'pivoted';
      await this.host.adoptTarget(this, this.targetPath, target);
      this.finish();
      return true;
    } finally {
      if (this.state !== 'pivoted') {
        this.paused = false;
        this.changes.notify();
      }
      if (drained) this.host.undrain();
    }
  }

  private fail(err: unknown): void {
    if (!this.isActive()) return;
    this.failure = err;
    this.state = 'failed';
    const message = err instanceof Error ? err.message : String(err);
    this.stop(new MirrorError(`mirror to ${this.targetPath} failed: ${message}`, 'failed', { cause: err }));
    void this.target.close();
  }

  /** Ends a mirror without a pivot: the guest stays on the source only. */
  private stop(reason: MirrorError): void {
    this.abort.abort(reason);
    this.host.detach(this);
    this.rejectReady(reason);
    this.finish();
  }

  private finish(): void {
    this.changes.notify();
  }
}
