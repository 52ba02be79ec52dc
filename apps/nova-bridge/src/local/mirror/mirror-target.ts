import { BlockFile, openBlockFile } from './block-file';
import { ChangeSignal } from './change-signal';
import { DirtyBitmap } from './dirty-bitmap';
import { changedParts, partsToWrite } from './holes';
import type { MirrorHost } from './mirror-host';
import type { MirrorOptions } from './mirror-options';

export function ignore(): void {
  // Settled elsewhere, or nothing left to do about it.
}

/**
 * A mirror's target file: opened and checked against the source, every write recorded, every I/O
 * counted so that closing waits for the last one.
 */
export class MirrorTarget {
  /** Target granules this mirror wrote: only elsewhere may a zeroed target be trusted to read as zeroes. */
  private readonly written: DirtyBitmap;
  private file: BlockFile | null = null;
  private zeroed = false;
  /** The target holds an earlier copy (MirrorOptions.resync): what already matches is not written. */
  private resync = false;
  private ops = 0;
  private opened: Promise<void> = Promise.resolve();
  private closing: Promise<void> | null = null;

  constructor(
    readonly path: string,
    sizeBytes: number,
    private readonly granularity: number,
    chunkBytes: number,
    private readonly changes: ChangeSignal,
  ) {
    this.written = new DirtyBitmap(sizeBytes, granularity, chunkBytes, false);
  }

  get isOpen(): boolean {
    return this.file !== null;
  }

  /** Opens the target and, unless the mirror ended meanwhile, checks it against the source. */
  open(sizeBytes: number, opts: MirrorOptions, host: MirrorHost, isActive: () => boolean): Promise<void> {
    this.opened = (async () => {
      const target = await (opts.hooks?.openTarget ?? openBlockFile)(this.path);
      this.file = target;
      if (!isActive()) return;
      const [t, s] = await Promise.all([target.stat(), host.statSource()]);
      if (t.dev === s.dev && t.ino === s.ino) throw new Error(`the target ${this.path} is the device's own file`);
      if (t.size < sizeBytes) throw new Error(`the target ${this.path} (${t.size} bytes) is smaller than the device (${sizeBytes} bytes)`);
      this.resync = opts.resync ?? false;
      this.zeroed = !this.resync && (opts.targetZeroed ?? t.blocks === 0);
    })();
    return this.opened;
  }

  /**
   * What of `data` to write: all of it; on a zeroed target only what may not read as zeroes
   * already; on a resynced one only what differs from what it holds (read back first).
   */
  async partsOf(offset: number, data: Buffer): Promise<{ offset: number; data: Buffer }[]> {
    if (this.resync) return changedParts(offset, data, await this.op((target) => target.read(offset, data.length)), this.granularity);
    return this.zeroed ? partsToWrite(offset, data, this.granularity, this.written) : [{ offset, data }];
  }

  write(offset: number, data: Buffer): Promise<void> {
    this.written.set(offset, data.length);
    return this.op((target) => target.write(offset, data));
  }

  datasync(): Promise<void> {
    return this.op((target) => target.datasync());
  }

  /** Hands the file over at the pivot: from then on the device owns it. */
  release(): BlockFile {
    const target = this.file as BlockFile;
    this.file = null;
    return target;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.opened.catch(ignore);
      while (this.ops > 0) await this.changes.next();
      await this.file?.close().catch(ignore);
      this.file = null;
    })();
    return this.closing;
  }

  /** Runs one target I/O; refused once the target is closing, so that closing can wait for the last one. */
  private async op<T>(op: (target: BlockFile) => Promise<T>): Promise<T> {
    const target = this.file;
    if (!target || this.closing) throw new Error(`the mirror target ${this.path} is closed`);
    this.ops++;
    try {
      return await op(target);
    } finally {
      this.ops--;
      this.changes.notify();
    }
  }
}
