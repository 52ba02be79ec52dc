import { IncomingMessage } from 'node:http';
import { DurableFile } from './durable-file';
import { RecordParser } from './segment-records';

/** A write batch: big enough for few syscalls, small enough to keep two per request in memory. */
const BATCH_BYTES = 4 * 1024 * 1024;

/**
 * Streams one request body into the file and resolves with the end of its last record. One write
 * is in flight while the next batch accumulates; reading pauses when that batch is full before the
 * write is done, and TCP then holds the sender back. Plain 'data' events, not an async iterator: a
 * promise per 64 KiB chunk shows at GB/s. A framing error stops reading without destroying the
 * request, so that the sender still gets its 400.
 */
export function receiveBody(req: IncomingMessage, file: DurableFile, sizeBytes: number): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const batches = new Batcher();
    const parser = new RecordParser(sizeBytes, (position, data) => batches.add(position, data));
    const queue: Batch[] = [];
    let writing = false;
    let ended = false;
    let failure: { err: unknown } | null = null;

    const settle = () => {
      if (writing) return;
      if (failure) reject(failure.err);
      else if (ended) resolve(parser.coveredThrough);
    };
    const fail = (err: unknown) => {
      if (failure) return;
      failure = { err };
      queue.length = 0;
      req.off('data', onData);
      settle();
    };
    const writeQueued = async () => {
      writing = true;
      while (queue.length > 0 && !failure) {
        const next = queue.shift() as Batch;
        // The waiting batch is now the one in flight: the next may accumulate.
        if (queue.length === 0 && !ended) req.resume();
        try {
          await file.write(next.position, next.chunks);
          file.advance(next.position + next.bytes);
        } catch (err) {
          fail(err);
        }
      }
      writing = false;
      settle();
    };
    const onData = (chunk: Buffer) => {
      try {
        parser.push(chunk);
      } catch (err) {
        fail(err);
        return;
      }
      queue.push(...batches.takeSealed());
      if (!writing && queue.length > 0) void writeQueued();
      else if (queue.length > 0) req.pause();
    };
    req.on('data', onData);
    req.on('end', () => {
      try {
        parser.finish();
      } catch (err) {
        fail(err);
        return;
      }
      batches.sealCurrent();
      queue.push(...batches.takeSealed());
      ended = true;
      if (!writing) void writeQueued();
    });
    req.on('error', fail);
    req.on('close', () => ended || fail(new Error('the sender closed the connection inside a segment')));
  });
}

interface Batch {
  position: number;
  chunks: Buffer[];
  bytes: number;
}

/** Groups contiguous payload views into one positional writev of up to BATCH_BYTES. */
class Batcher {
  private current: Batch | null = null;
  private readonly sealed: Batch[] = [];

  add(position: number, data: Buffer): void {
    if (this.current && this.current.position + this.current.bytes !== position) this.sealCurrent();
    this.current ??= { position, chunks: [], bytes: 0 };
    this.current.chunks.push(data);
    this.current.bytes += data.length;
    if (this.current.bytes >= BATCH_BYTES) this.sealCurrent();
  }

  sealCurrent(): void {
    if (this.current) this.sealed.push(this.current);
    this.current = null;
  }

  takeSealed(): Batch[] {
    return this.sealed.splice(0);
  }
}
