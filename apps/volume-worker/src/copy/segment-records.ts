/**
 * The framing of a segment body on the migration data stream (see data-server.ts for the protocol):
 * a sequence of records `[u64 offset][u32 length][length bytes]`, big-endian. A record of length 0
 * is a mark: everything before its offset has been sent, the rest of the range being holes.
 */

const RECORD_HEADER_BYTES = 12;

/** A u32 length: the largest record a sender may frame. */
const MAX_RECORD_BYTES = 0xffff_ffff;

export function encodeRecordHeader(offset: number, length: number): Buffer {
  if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`record offset ${offset} is not a byte offset`);
  if (!Number.isInteger(length) || length < 0 || length > MAX_RECORD_BYTES) {
    throw new RangeError(`record length ${length} does not fit in a u32`);
  }
  const header = Buffer.allocUnsafe(RECORD_HEADER_BYTES);
  header.writeBigUInt64BE(BigInt(offset), 0);
  header.writeUInt32BE(length, 8);
  return header;
}

/** A body that does not follow the framing; the server answers 400. */
export class FramingError extends Error {
  override readonly name = 'FramingError';
}

/**
 * Parses a segment body chunk by chunk as it arrives, without copying payloads: `onData` receives
 * views of the received chunks with the file position they belong at. Records must lie within the
 * target and in ascending, non-overlapping order, which is what lets a mark vouch for the range
 * before it.
 */
export class RecordParser {
  private readonly header = Buffer.alloc(RECORD_HEADER_BYTES);
  private headerFill = 0;
  /** File position of the next payload byte, and payload bytes left in the current record. */
  private position = 0;
  private remaining = 0;
  private inRecord = false;
  private end: number | null = null;

  constructor(
    private readonly sizeBytes: number,
    private readonly onData: (position: number, data: Buffer) => void,
  ) {}

  /** End of the last complete record (data or mark); null before the first one. */
  get coveredThrough(): number | null {
    return this.end;
  }

  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (!this.inRecord) {
        const take = Math.min(RECORD_HEADER_BYTES - this.headerFill, chunk.length - at);
        chunk.copy(this.header, this.headerFill, at, at + take);
        this.headerFill += take;
        at += take;
        if (this.headerFill === RECORD_HEADER_BYTES) this.startRecord();
        continue;
      }
      const take = Math.min(this.remaining, chunk.length - at);
      this.onData(this.position, chunk.subarray(at, at + take));
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
    if (length === 0) this.endRecord();
  }

  private endRecord(): void {
    this.inRecord = false;
    this.end = this.position;
  }
}
