/**
 * The framing of a segment body, and of a copy stream, on the migration data stream (see
 * data-server.ts for the protocol): a sequence of records `[u64 offset][u32 length][length bytes]`,
 * big-endian. A record of length 0 is a mark: everything before its offset has been sent, the rest
 * of the range being holes. On a copy stream only, a header whose length is FINISH_LENGTH (no
 * payload) is the finish mark: everything before its offset has been sent; make it durable.
 */

export const RECORD_HEADER_BYTES = 12;

/** The `upgrade` token of the copy stream. */
export const COPY_STREAM_PROTOCOL = 'volume-copy-stream/1';

/** The length field of a finish mark; no record can be this long. */
export const FINISH_LENGTH = 0xffff_ffff;

/** The largest record a sender may frame: a u32, less the finish mark's value. */
const MAX_RECORD_BYTES = FINISH_LENGTH - 1;

export function encodeRecordHeader(offset: number, length: number): Buffer {
  if (!Number.isInteger(length) || length < 0 || length > MAX_RECORD_BYTES) {
    throw new RangeError(`record length ${length} does not fit in a u32 below ${FINISH_LENGTH}`);
  }
  return header(offset, length);
}

/** The finish mark of a copy stream at `offset` (the size of the target). */
export function encodeFinishMark(offset: number): Buffer {
  return header(offset, FINISH_LENGTH);
}

function header(offset: number, length: number): Buffer {
  if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`record offset ${offset} is not a byte offset`);
  const bytes = Buffer.allocUnsafe(RECORD_HEADER_BYTES);
  bytes.writeBigUInt64BE(BigInt(offset), 0);
  bytes.writeUInt32BE(length, 8);
  return bytes;
}

/** A body that does not follow the framing; the server answers 400. */
export class FramingError extends Error {
  override readonly name = 'FramingError';
}

export interface RecordParserEvents {
  /** A view of a received chunk and the file position it belongs at. */
  onData(position: number, data: Buffer): void;
  /** A mark (a record of length 0): everything before `offset` has been sent. */
  onMark?(offset: number): void;
  /** The finish mark of a copy stream; without this handler a finish mark is a framing error. */
  onFinish?(offset: number): void;
}

/**
 * Parses a segment body chunk by chunk as it arrives, without copying payloads: `onData` receives
 * views of the received chunks with the file position they belong at. Records must lie within the
 * target and in ascending, non-overlapping order, which is what lets a mark vouch for the range
 * before it. Nothing may follow a finish mark.
 */
export class RecordParser {
  private readonly header = Buffer.alloc(RECORD_HEADER_BYTES);
  private headerFill = 0;
  /** File position of the next payload byte, and payload bytes left in the current record. */
  private position = 0;
  private remaining = 0;
  private inRecord = false;
  private end: number | null = null;
  private finished = false;
  private readonly events: RecordParserEvents;

  constructor(
    private readonly sizeBytes: number,
    events: RecordParserEvents | ((position: number, data: Buffer) => void),
  ) {
    this.events = typeof events === 'function' ? { onData: events } : events;
  }

  /** End of the last complete record (data or mark); null before the first one. */
  get coveredThrough(): number | null {
    return this.end;
  }

  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.finished) throw new FramingError('bytes follow the finish mark');
      if (!this.inRecord) {
        const take = Math.min(RECORD_HEADER_BYTES - this.headerFill, chunk.length - at);
        chunk.copy(this.header, this.headerFill, at, at + take);
        this.headerFill += take;
        at += take;
        if (this.headerFill === RECORD_HEADER_BYTES) this.startRecord();
        continue;
      }
      const take = Math.min(this.remaining, chunk.length - at);
      this.events.onData(this.position, chunk.subarray(at, at + take));
      this.position += take;
      this.remaining -= take;
      at += take;
      if (this.remaining === 0) this.endRecord();
    }
  }

  /** The body ended: it must not stop inside a record. */
  finish(): void {
    if (this.inRecord || this.headerFill > 0) throw new FramingError('the body ends inside a record');
  }

  private startRecord(): void {
    this.headerFill = 0;
    const offset = this.header.readBigUInt64BE(0);
    const length = this.header.readUInt32BE(8);
    if (length === FINISH_LENGTH) {
      this.startFinish(offset);
      return;
    }
    if (offset + BigInt(length) > BigInt(this.sizeBytes)) {
      throw new FramingError(`record [${offset}, +${length}) lies beyond the target's ${this.sizeBytes} bytes`);
    }
    const start = Number(offset);
    if (this.end !== null && start < this.end) {
      throw new FramingError(`record at ${start} overlaps or precedes the previous one, which ended at ${this.end}`);
    }
    this.position = start;
    this.remaining = length;
    this.inRecord = true;
    if (length === 0) {
      this.endRecord();
      this.events.onMark?.(start);
    }
  }

  private endRecord(): void {
    this.inRecord = false;
    this.end = this.position;
  }

  private startFinish(offset: bigint): void {
    if (!this.events.onFinish) throw new FramingError('a finish mark belongs on a copy stream only');
    if (offset !== BigInt(this.sizeBytes)) throw new FramingError(`the finish mark is at ${offset}, not at the target's size ${this.sizeBytes}`);
    if (this.end !== null && this.sizeBytes < this.end) throw new FramingError('the finish mark precedes the previous record');
    this.end = this.sizeBytes;
    this.finished = true;
    this.events.onFinish(this.sizeBytes);
  }
}
