import type { Throttle } from '@volume/platform';
import { CopyRecord, CopySink } from './copy-sink';
import { ByteRange, bytesToRead, dataRanges, overlapsData } from './data-map';
import { alignedBuffers, CopyFile } from './direct-io';

export type { CopyRecord, CopySink } from './copy-sink';
export { localSink } from './local-sink';
export { remoteSink } from './remote-sink';

export const DEFAULT_BLOCK_SIZE = 4 * 1024 * 1024;
export const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;
/** Blocks read ahead of the one being sent: enough to keep disk and network both busy. */
const READ_AHEAD = 2;
/** Blocks (holes from the map, or reads under way) queued ahead of the consumer, at most. */
const MAX_QUEUED = 64;

export interface CopyVolumeOptions {
  sourcePath: string;
  sizeBytes: number;
  /** A durable checkpoint to resume from; rounded down to a block boundary. */
  startOffset?: number;
  /** A multiple of 4096 (default 4 MiB). */
  blockSize?: number;
  /** Bytes per sink segment, i.e. per HTTP request remotely; rounded up to whole blocks (default 64 MiB). */
  segmentBytes?: number;
  sink: CopySink;
  /** Read the source with O_DIRECT where the filesystem allows it (default true; see direct-io.ts). */
  directIo?: boolean;
  /**
   * Where the source holds data; blocks outside are holes, never read. Default: the filesystem's
   * extent map (data-map.ts); null: no map, every block is read and holes are found by content.
   */
  dataRanges?: readonly ByteRange[] | null;
  /** The host's ByteThrottle, or it in turn with a migration's own (`inTurn`). */
  throttle?: Throttle;
  signal?: AbortSignal;
  /** Once the map is known: the bytes this run will read (holes the map shows are not read). */
  onPlan?(plan: { bytesToRead: number }): void;
  /**
   * After each block, with the offset up to which the source has been processed, holes included,
   * and the bytes this run has read so far (the costly part: what a rate and a time left go by).
   */
  onProgress?(processedBytes: number, bytesRead: number): void;
  /**
   * Whenever the destination's durable offset grows (as soon as the sink reports it); the last call
   * is `sizeBytes`, after `finish`.
   */
  onCheckpoint?(durableBytes: number): void;
}

export interface CopyResult {
  /** Bytes sent to the sink by this run (a resumed copy counts from its start offset). */
  bytesCopied: number;
  /** Bytes of all-zero blocks this run treated as holes (from the map or by content). */
  bytesSkipped: number;
  /** Bytes read from the source: holes the map showed are not. */
  bytesRead: number;
}

const EMPTY = Buffer.alloc(0);

/** Shared by every copy: comparing against it is a memcmp, and its pages are the kernel's zero page. */
let zeroes = Buffer.alloc(DEFAULT_BLOCK_SIZE);

function isAllZero(data: Buffer): boolean {
  if (zeroes.length < data.length) zeroes = Buffer.alloc(data.length);
  return data.equals(zeroes.subarray(0, data.length));
}

function abortError(signal: AbortSignal): Error {
  return Object.assign(new Error('volume copy aborted', { cause: signal.reason }), { name: 'AbortError', code: 'ABORT_ERR' });
}

/**
 * Copies a volume's data to a sink, sparse-aware.
 *
 * Holes are neither read nor written: a block outside the source's data ranges (its extent map,
 * see data-map.ts) is skipped unread. A block that is read and holds only zeroes is not sent either
 * (content is the fallback where there is no map, and written zeroes need no copy): the destination
 * is a fresh sparse file of full size, whose unwritten ranges read as zeroes. So the destination
 * may come out sparser than the source, never different.
 *
 * `VOLUME_COPY_BPS_LIMIT` applies to the blocks that carry data, taken after the zero check (which
 * needs the data) and before the block is sent. Holes cost nothing and are not throttled, so a
 * mostly empty volume migrates at disk-read speed. Reads stay at most READ_AHEAD blocks ahead of
 * the throttle, so the disk is held to the limit too.
 *
 * The sink is the caller's to close.
 */
export async function copyVolumeData(opts: CopyVolumeOptions): Promise<CopyResult> {
  const { sizeBytes, sink, throttle, signal } = opts;
  const blockSize = opts.blockSize ?? DEFAULT_BLOCK_SIZE;
  if (!Number.isSafeInteger(sizeBytes) || sizeBytes < 0) throw new RangeError(`sizeBytes must be a byte count, got ${sizeBytes}`);
  if (!Number.isSafeInteger(blockSize) || blockSize <= 0 || blockSize % 4096 !== 0) {
    throw new RangeError(`blockSize must be a positive multiple of 4096, got ${blockSize}`);
  }
  const segmentBytes = Math.max(1, Math.ceil((opts.segmentBytes ?? DEFAULT_SEGMENT_BYTES) / blockSize)) * blockSize;
  const start = Math.min(Math.floor(Math.max(0, opts.startOffset ?? 0) / blockSize) * blockSize, sizeBytes);
  signal?.throwIfAborted();

  // Ends this copy's own waits (throttle) when the sink fails, not only when the caller aborts.
  const stop = new AbortController();
  const stopSignal = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
  const result: CopyResult = { bytesCopied: 0, bytesSkipped: 0, bytesRead: 0 };
  let checkpoint = start;
  let ended = false;
  const reportDurable = (durable: number) => {
    if (ended || durable <= checkpoint) return;
    checkpoint = Math.min(durable, sizeBytes);
    opts.onCheckpoint?.(checkpoint);
  };
  // As the destination reports them, not only at segment ends: a segment may take minutes under a throttle.
  sink.onDurable?.(reportDurable);

  let source: CopyFile | null = null;
  let reader: BlockReader | null = null;
  try {
    source = await CopyFile.open(opts.sourcePath, 'r', { directIo: opts.directIo });
    const { size } = await source.handle.stat();
    if (size < sizeBytes) throw new Error(`source ${opts.sourcePath} holds ${size} bytes, fewer than the ${sizeBytes} to copy`);
    const ranges = opts.dataRanges === undefined ? await dataRanges(opts.sourcePath, { signal: stopSignal }) : opts.dataRanges;
    stopSignal.throwIfAborted();
    opts.onPlan?.({ bytesToRead: bytesToRead(ranges, start, sizeBytes, blockSize) });
    reader = new BlockReader(source, start, sizeBytes, blockSize, ranges, result);

    // At least one segment, even when resuming at the very end: its mark tells a restarted
    // receiver that everything before it is there.
    let offset = start;
    do {
      const to = Math.min(offset + segmentBytes, sizeBytes);
      const records = segmentRecords({
        from: offset,
        to,
        blocks: reader,
        throttle,
        signal: stopSignal,
        result,
        onProgress: opts.onProgress,
      });
      reportDurable(await sink.writeSegment(records, stopSignal));
      offset = to;
    } while (offset < sizeBytes);

    const durable = await sink.finish(sizeBytes, stopSignal);
    if (durable < sizeBytes) throw new Error(`the destination reports ${durable} of ${sizeBytes} bytes durable after its final sync`);
    reportDurable(sizeBytes);
    return result;
  } catch (err) {
    if (signal?.aborted) throw abortError(signal);
    throw err;
  } finally {
    ended = true;
    stop.abort();
    await reader?.close();
    await source?.close();
  }
}

interface SegmentSource {
  from: number;
  to: number;
  blocks: BlockReader;
  throttle?: Throttle;
  signal: AbortSignal;
  result: CopyResult;
  onProgress?(processedBytes: number, bytesRead: number): void;
}

/** The records of one segment: its blocks that carry data, then the mark of its end. */
async function* segmentRecords(s: SegmentSource): AsyncGenerator<CopyRecord> {
  for (let offset = s.from; offset < s.to; ) {
    s.signal.throwIfAborted();
    const length = s.blocks.lengthAt(offset);
    const data = await s.blocks.next(offset);
    if (data === null || isAllZero(data)) {
      s.result.bytesSkipped += length;
    } else {
      await s.throttle?.take(data.length, s.signal);
      yield { offset, data };
      s.result.bytesCopied += data.length;
    }
    offset += length;
    s.onProgress?.(offset, s.result.bytesRead);
  }
  yield { offset: s.to, data: EMPTY };
}

/**
 * Reads blocks in order, READ_AHEAD ahead of the consumer, into a small ring of reused, page-aligned
 * buffers (direct reads); a block the data ranges show to be a hole is not read at all. A block's
 * buffer is reused once the next block is asked for, which is when the sink is done with it.
 */
class BlockReader {
  private readonly free: Buffer[] = [];
  /** `buffer` null: a hole from the map, not read. */
  private readonly queue: { offset: number; buffer: Buffer | null; read: Promise<number> }[] = [];
  private held: Buffer | null = null;
  private nextOffset: number;
  private closed = false;

  constructor(
    private readonly file: CopyFile,
    start: number,
    private readonly end: number,
    private readonly blockSize: number,
    private readonly ranges: readonly ByteRange[] | null,
    private readonly result: CopyResult,
  ) {
    this.nextOffset = start;
    this.free.push(...alignedBuffers(READ_AHEAD + 1, blockSize));
  }

  /** The length of the block at `offset`: a whole block but the last. */
  lengthAt(offset: number): number {
    return Math.min(this.blockSize, this.end - offset);
  }

  /** The block at `expectedOffset`, or null when the map shows it to be a hole (not read). */
  async next(expectedOffset: number): Promise<Buffer | null> {
    if (this.closed) throw new Error('the copy has ended');
    if (this.held) this.free.push(this.held);
    this.held = null;
    this.fill();
    const head = this.queue.shift();
    if (!head || head.offset !== expectedOffset) throw new Error(`block at ${expectedOffset} was not read`);
    if (!head.buffer) {
      this.fill();
      return null;
    }
    this.held = head.buffer;
    const length = this.lengthAt(head.offset);
    const got = await head.read;
    if (got < length) throw new Error(`source ended at ${head.offset + got}, before ${this.end}`);
    this.result.bytesRead += length;
    this.fill();
    return head.buffer.subarray(0, length);
  }

  /** Waits for the reads under way, so that the file can be closed under none. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled(this.queue.map((q) => q.read));
    this.queue.length = 0;
  }

  private fill(): void {
    while (this.nextOffset < this.end && this.queue.length < MAX_QUEUED) {
      const offset = this.nextOffset;
      const length = this.lengthAt(offset);
      if (this.ranges && !overlapsData(this.ranges, offset, offset + length)) {
        this.queue.push({ offset, buffer: null, read: Promise.resolve(0) });
        this.nextOffset += length;
        continue;
      }
      const buffer = this.free.pop();
      if (!buffer) return;
      const read = readFully(this.file, buffer, length, offset);
      // Awaited in order by next(); this only keeps a failure ahead of the consumer from being unhandled.
      read.catch(() => undefined);
      this.queue.push({ offset, buffer, read });
      this.nextOffset += length;
    }
  }
}

async function readFully(file: CopyFile, buffer: Buffer, length: number, position: number): Promise<number> {
  let got = 0;
  while (got < length) {
    const bytesRead = await file.read(buffer.subarray(got), length - got, position + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got;
}
