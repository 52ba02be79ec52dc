import { CopyFile, CopyFileOptions } from './direct-io';

export interface DurableFileOptions extends CopyFileOptions {
  /** Least time between two background fdatasyncs (default 1 s). */
  syncIntervalMs?: number;
  /** Milliseconds, monotonic. */
  now?: () => number;
}

const DEFAULT_SYNC_INTERVAL_MS = 1_000;

/**
 * A copy's destination file, opened once, written at positions, and made durable in the
 * background: an fdatasync starts at most once per interval, while writes go on, so that the copy
 * never waits for the disk except at `sync()`. What it reports durable is what had been written
 * when the fdatasync started.
 *
 * The writer vouches for order: `advance(offset)` says everything before `offset` has been handed
 * in (holes being ranges it did not need to write), which holds for a copy that streams upwards
 * from a durable checkpoint.
 */
export class DurableFile {
  private written = 0;
  private durable = 0;
  private lastSyncAt: number;
  private syncing: Promise<void> | null = null;
  /** After a failed fdatasync the kernel may have dropped the dirty pages: nothing more is trusted. */
  private failure: unknown = null;
  private closing: Promise<void> | null = null;
  private readonly durableListeners = new Set<(durableThrough: number) => void>();
  private readonly syncIntervalMs: number;
  private readonly now: () => number;

  private constructor(
    private readonly file: CopyFile,
    opts: DurableFileOptions,
  ) {
    this.syncIntervalMs = opts.syncIntervalMs ?? DEFAULT_SYNC_INTERVAL_MS;
    this.now = opts.now ?? (() => performance.now());
    this.lastSyncAt = this.now();
  }

  /** The file must exist: its creator made it, sparse and full size. Aligned writes bypass the page cache (see direct-io.ts). */
  static async open(path: string, opts: DurableFileOptions = {}): Promise<DurableFile> {
    return new DurableFile(await CopyFile.open(path, 'r+', opts), opts);
  }

  /** Whether aligned writes go straight to the disk (O_DIRECT). */
  get direct(): boolean {
    return this.file.direct;
  }

  get durableThrough(): number {
    return this.durable;
  }

  /** Calls `listener` whenever a completed fdatasync moves the durable offset on; returns the unsubscribe. */
  onDurable(listener: (durableThrough: number) => void): () => void {
    this.durableListeners.add(listener);
    return () => this.durableListeners.delete(listener);
  }

  /** Bytes handed in so far (written, or holes vouched for): what the next fdatasync will make durable. */
  get writtenThrough(): number {
    return this.written;
  }

  /**
   * Writes `chunks` back to back from `position` in as few syscalls as the kernel allows (pwritev
   * takes at most IOV_MAX buffers and may write less than asked).
   */
  async write(position: number, chunks: readonly Buffer[]): Promise<void> {
    this.throwIfFailed();
    let pending = chunks;
    let at = position;
    while (pending.length > 0) {
      const bytesWritten = await this.file.writev(pending, at);
      if (bytesWritten === 0) throw new Error(`writing at ${at} made no progress`);
      at += bytesWritten;
      pending = dropBytes(pending, bytesWritten);
    }
  }

  /** Everything before `offset` is written; starts a background fdatasync when one is due. */
  advance(offset: number): void {
    if (offset > this.written) this.written = offset;
    if (!this.syncing && this.written > this.durable && this.now() - this.lastSyncAt >= this.syncIntervalMs) {
      void this.startSync();
    }
  }

  /**
   * The creator made the file full size; setting it again costs nothing and keeps a copy correct
   * if it did not (a short file would read back short).
   */
  async ensureSize(sizeBytes: number): Promise<void> {
    if ((await this.file.handle.stat()).size !== sizeBytes) await this.file.handle.truncate(sizeBytes);
  }

  /** Waits for a background fdatasync, then makes everything written so far durable. */
  async sync(): Promise<number> {
    while (this.syncing) await this.syncing;
    await this.startSync();
    this.throwIfFailed();
    return this.durable;
  }

  /** Idempotent; lets a background fdatasync finish first. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      while (this.syncing) await this.syncing;
      await this.file.close();
    })();
    return this.closing;
  }

  private startSync(): Promise<void> {
    const through = this.written;
    this.lastSyncAt = this.now();
    const syncing = this.file.handle.datasync().then(
      () => {
        if (this.failure === null && through > this.durable) {
          this.durable = through;
          for (const listener of this.durableListeners) listener(through);
        }
      },
      (err: unknown) => {
        this.failure ??= err;
      },
    );
    this.syncing = syncing.finally(() => {
      this.syncing = null;
    });
    return this.syncing;
  }

  private throwIfFailed(): void {
    if (this.failure !== null) throw new Error('an earlier fdatasync of the destination failed', { cause: this.failure });
  }
}

function dropBytes(chunks: readonly Buffer[], bytes: number): readonly Buffer[] {
  let left = bytes;
  let i = 0;
  while (i < chunks.length && left >= chunks[i].length) left -= chunks[i++].length;
  if (i === chunks.length) return [];
  return [chunks[i].subarray(left), ...chunks.slice(i + 1)];
}
