import { constants } from 'node:fs';
import { FileHandle, open } from 'node:fs/promises';

/**
 * Direct I/O (O_DIRECT) for migration copies, as Cinder copies volumes with `dd iflag=direct
 * oflag=direct` where the filesystem supports it. Through the page cache, every byte costs the
 * kernel a copy into (or out of) the cache and the cache's own bookkeeping; on a virtual disk that
 * is most of a copy's CPU (measured here: 1.1-1.6 s of system time per GiB read, 2-3.5 s per GiB
 * written and synced, against 0.03-0.05 s with O_DIRECT). A migration also has no use for the
 * cache: it reads every block once, and filling the cache with a large volume's data evicts what
 * the host's other volumes were using.
 *
 * O_DIRECT wants the buffer's address, the file offset and the length aligned to the device's
 * logical block size. Node gives no aligned allocation and no way to learn a buffer's address, but
 * a WebAssembly memory is always page-aligned, so the copy buffers are carved out of one. An
 * operation that is not aligned (a short tail, a buffer from elsewhere) goes through a second,
 * ordinary descriptor of the same file: Linux keeps the two coherent (a direct write invalidates
 * the cached pages it covers, a direct read first writes back the dirty ones), and fdatasync acts on
 * the file, whichever descriptor it is called on.
 */

/** Offsets, lengths and buffer addresses of direct I/O are multiples of this: a page, the largest logical block size in use. */
export const DIRECT_IO_ALIGNMENT = 4096;

/** Node has WebAssembly; the project's `lib` (es2022, no DOM) does not declare it. */
declare const WebAssembly: { Memory: new (descriptor: { initial: number; maximum?: number }) => { readonly buffer: ArrayBuffer } };

const WASM_PAGE_BYTES = 65536;
/** The backing stores handed out by `alignedBuffers`, whose first byte sits at a page boundary. */
const pageAligned = new WeakSet<ArrayBufferLike>();

/**
 * `count` buffers of `bytes` each (a multiple of DIRECT_IO_ALIGNMENT), each starting at a page
 * boundary: views of one WebAssembly memory. Where the runtime refuses the memory they are ordinary
 * buffers, and the I/O on them simply goes through the page cache.
 */
export function alignedBuffers(count: number, bytes: number): Buffer[] {
  if (!Number.isSafeInteger(bytes) || bytes <= 0 || bytes % DIRECT_IO_ALIGNMENT !== 0) {
    throw new RangeError(`aligned buffers are a positive multiple of ${DIRECT_IO_ALIGNMENT} bytes, not ${bytes}`);
  }
  const pages = Math.ceil((count * bytes) / WASM_PAGE_BYTES);
  let backing: ArrayBuffer | null;
  try {
    backing = new WebAssembly.Memory({ initial: pages, maximum: pages }).buffer;
    pageAligned.add(backing);
  } catch {
    backing = null;
  }
  return Array.from({ length: count }, (_, i) => (backing ? Buffer.from(backing, i * bytes, bytes) : Buffer.allocUnsafeSlow(bytes)));
}

/** Whether `buffer` may be handed to direct I/O as it is: it starts on a page and is a whole number of them. */
export function isDirectIoBuffer(buffer: Buffer): boolean {
  return pageAligned.has(buffer.buffer) && buffer.byteOffset % DIRECT_IO_ALIGNMENT === 0 && buffer.length % DIRECT_IO_ALIGNMENT === 0;
}

export interface CopyFileOptions {
  /** Use O_DIRECT where the filesystem and the operation allow it (default true). */
  directIo?: boolean;
}

/**
 * A file a copy reads or writes: an ordinary descriptor, and an O_DIRECT one when the filesystem
 * takes it. Aligned reads and writes go direct; everything else, and everything after the kernel
 * once refused a direct operation (EINVAL), goes through the page cache.
 */
export class CopyFile {
  private constructor(
    /** The ordinary descriptor: unaligned I/O, stat, truncate, fdatasync. */
    readonly handle: FileHandle,
    private directHandle: FileHandle | null,
  ) {}

  static async open(path: string, mode: 'r' | 'r+', opts: CopyFileOptions = {}): Promise<CopyFile> {
    const handle = await open(path, mode);
    let direct: FileHandle | null = null;
    if (opts.directIo !== false) {
      try {
        direct = await open(path, (mode === 'r' ? constants.O_RDONLY : constants.O_RDWR) | constants.O_DIRECT);
      } catch (err) {
        if (!isDirectRefusal(err)) {
          await handle.close();
          throw err;
        }
      }
    }
    return new CopyFile(handle, direct);
  }

  /** Two descriptors of one file opened elsewhere (the ordinary one, and a direct one or null). */
  static wrap(handle: FileHandle, direct: FileHandle | null): CopyFile {
    return new CopyFile(handle, direct);
  }

  /** Whether aligned I/O on this file bypasses the page cache. */
  get direct(): boolean {
    return this.directHandle !== null;
  }

  /**
   * Reads up to `length` bytes at `position` into the start of `buffer`. Direct when `buffer` is an
   * aligned buffer with room for `length` rounded up to a page (a short tail is read whole, up to
   * the end of the file); returns at most `length`.
   */
  async read(buffer: Buffer, length: number, position: number): Promise<number> {
    const rounded = Math.ceil(length / DIRECT_IO_ALIGNMENT) * DIRECT_IO_ALIGNMENT;
    if (position % DIRECT_IO_ALIGNMENT === 0 && rounded <= buffer.length && isDirectIoBuffer(buffer.subarray(0, rounded))) {
      const got = await this.tryDirect((fh) => fh.read(buffer, 0, rounded, position));
      if (got) return Math.min(got.bytesRead, length);
    }
    return (await this.handle.read(buffer, 0, length, position)).bytesRead;
  }

  /** Writes `chunks` back to back at `position` with one (p)writev; returns the bytes written, which may be fewer. */
  async writev(chunks: readonly Buffer[], position: number): Promise<number> {
    if (chunks.length === 1 && position % DIRECT_IO_ALIGNMENT === 0 && isDirectIoBuffer(chunks[0])) {
      const done = await this.tryDirect((fh) => fh.write(chunks[0], 0, chunks[0].length, position));
      if (done) return done.bytesWritten;
    }
    return (await this.handle.writev(chunks as Buffer[], position)).bytesWritten;
  }

  /**
   * Closes both descriptors. A failure closing the ordinary one is thrown (where a network
   * filesystem reports a write it deferred); the direct one only ever wrote what fdatasync covered.
   */
  async close(): Promise<void> {
    const direct = this.directHandle;
    this.directHandle = null;
    const [, ordinary] = await Promise.allSettled([direct?.close(), this.handle.close()]);
    if (ordinary.status === 'rejected') throw ordinary.reason;
  }

  /** Runs a direct operation; null when there is no direct descriptor or the kernel refused it (then never again). */
  private async tryDirect<T>(op: (fh: FileHandle) => Promise<T>): Promise<T | null> {
    const fh = this.directHandle;
    if (!fh) return null;
    try {
      return await op(fh);
    } catch (err) {
      if (!isDirectRefusal(err)) throw err;
      if (this.directHandle === fh) {
        this.directHandle = null;
        void fh.close().catch(() => undefined);
      }
      return null;
    }
  }
}

/** EINVAL: the filesystem does not do O_DIRECT, or not with this alignment. */
function isDirectRefusal(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'EINVAL' || code === 'EOPNOTSUPP';
}
