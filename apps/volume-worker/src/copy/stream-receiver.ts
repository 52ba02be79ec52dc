import { Socket, SocketConstructorOpts } from 'node:net';
import { alignedBuffers } from './direct-io';
import { DurableFile } from './durable-file';
import { RecordParser } from './segment-records';

/** Bytes one socket read may return on the bulk path (one syscall). */
export const BULK_READ_BYTES = 1024 * 1024;
/** A write batch on the bulk path: one positional write of up to this many bytes. */
const POOL_BATCH_BYTES = 4 * 1024 * 1024;
/** Batch buffers per stream: one being written, one waiting, one filling, one spare. */
const POOL_BUFFERS = 4;

export interface StreamReceiverOptions {
  /**
   * Read the socket into a preallocated buffer, BULK_READ_BYTES per read, instead of Node's
   * default of a fresh 64 KiB buffer per read (default true; see `adoptForBulkReads`).
   */
  bulkReads?: boolean;
}

/**
 * Receives one copy stream (protocol in data-server.ts) into the file. Records are written with
 * one positional write in flight while the next batch fills; marks advance the file's written
 * offset once everything before them is written; every durable offset the background fdatasyncs
 * reach is sent back as a JSON line. Reading stops while no batch buffer is free, and TCP then
 * holds the sender back. Resolves when the sender has ended the stream (after the finish answer,
 * or early: a sender that stopped); rejects on bad framing or a failed write, with the connection
 * still open for the error answer. `onSocket` gets the socket the stream ends up on (a new one
 * when the bulk path adopted the connection).
 */
export function receiveStream(
  upgraded: Socket,
  opening: Promise<DurableFile>,
  sizeBytes: number,
  opts: StreamReceiverOptions & {
    /** Written first on the socket the stream ends up on (the 101 answer). */
    hello?: string;
    onSocket?: (socket: Socket) => void;
  } = {},
): Promise<void> {
  return new Promise((resolve, reject) => {
    const pool = new PooledBatcher(POOL_BUFFERS, POOL_BATCH_BYTES);
    const queue: QueueItem[] = [];
    let writing = false;
    let ended = false;
    let closed = false;
    let paused = false;
    let failure: { err: unknown } | null = null;
    let socket = upgraded;

    const send = (answer: object) => {
      if (!socket.destroyed && socket.writable) socket.write(`${JSON.stringify(answer)}\n`);
    };
    let unsubscribe = () => undefined as unknown;
    let file: DurableFile | null = null;
    const parser = new RecordParser(sizeBytes, {
      onData: (position, data) => pool.add(position, data),
      onMark: (offset) => pool.mark(offset),
      onFinish: () => {
        pool.mark(sizeBytes);
        queue.push(...pool.takeSealed(), { finish: true });
      },
    });

    const settle = () => {
      if (writing) return;
      if (failure) {
        unsubscribe();
        reject(failure.err);
      } else if (ended || closed) {
        unsubscribe();
        resolve();
      }
    };
    const fail = (err: unknown) => {
      if (failure) return;
      failure = { err };
      queue.length = 0;
      settle();
    };
    const resumeIfRoom = () => {
      if (paused && pool.hasRoom && !failure && !ended && !closed) {
        paused = false;
        socket.resume();
      }
    };
    const writeQueued = async () => {
      writing = true;
      if (!file) {
        try {
          file = await opening;
          unsubscribe = file.onDurable((durableThrough) => send({ durableThrough }));
        } catch (err) {
          fail(err);
        }
      }
      while (file && queue.length > 0 && !failure && !closed) {
        const next = queue.shift() as QueueItem;
        try {
          if ('finish' in next) {
            await file.ensureSize(sizeBytes);
            file.advance(sizeBytes);
            send({ durableThrough: await file.sync(), finished: true });
          } else {
            if (next.bytes > 0) await file.write(next.position, [next.data]);
            file.advance(next.position + next.bytes);
          }
        } catch (err) {
          fail(err);
        } finally {
          if (!('finish' in next)) pool.release(next);
        }
        resumeIfRoom();
      }
      writing = false;
      settle();
    };
    /** Takes one chunk; false when reading must stop until a batch buffer is free. */
    const ingest = (chunk: Buffer): boolean => {
      if (failure) return false;
      try {
        parser.push(chunk);
      } catch (err) {
        fail(err);
        return false;
      }
      queue.push(...pool.takeSealed());
      if (!writing && queue.length > 0) void writeQueued();
      if (pool.hasRoom) return true;
      paused = true;
      return false;
    };

    const bulk = opts.bulkReads !== false ? adoptForBulkReads(upgraded, Buffer.allocUnsafe(BULK_READ_BYTES), ingest) : null;
    if (bulk) socket = bulk;
    else {
      socket.on('data', (chunk: Buffer) => {
        if (!ingest(chunk)) socket.pause();
      });
    }
    opts.onSocket?.(socket);
    if (opts.hello) socket.write(opts.hello);
    socket.on('end', () => {
      ended = true;
      // A sender that stopped early: the sealed batches are written, the unsealed rest is dropped.
      queue.push(...pool.takeSealed());
      if (!writing) void writeQueued();
      if (!socket.destroyed) socket.end();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      closed = true;
      settle();
    });
  });
}

/**
 * Node reads a socket 64 KiB at a time into a freshly allocated buffer each time; at GB/s that
 * allocation (page faults, zeroing, GC) costs more CPU than the copy itself: measured on loopback,
 * 0.7-0.9 s of CPU per GiB received, against 0.1-0.2 s reading into one reused 1 MiB buffer.
 * Node offers the reused buffer (`onread`) only to sockets it creates for `connect`, so this hands
 * the upgraded connection's handle to a new socket created with `onread`. That uses Node's
 * internal `_handle` and `new Socket({ handle })` (stable since Node 12, used by its own
 * child_process and cluster): when either is missing, it returns null and the caller reads the
 * old way. `callback` must consume the chunk (copy it) before returning; returning false stops
 * reading until `resume()`.
 */
export function adoptForBulkReads(socket: Socket, buffer: Buffer, callback: (chunk: Buffer) => boolean): Socket | null {
  const old = socket as unknown as { _handle?: { readStop?: unknown; useUserBuffer?: unknown } | null };
  const handle = old._handle;
  if (!handle || typeof handle.useUserBuffer !== 'function' || typeof handle.readStop !== 'function') return null;
  if (socket.readableLength > 0) return null; // bytes already buffered would be lost
  socket.pause();
  socket.removeAllListeners('timeout');
  socket.setTimeout(0);
  old._handle = null;
  // The old socket lets go of the connection without closing it, so that the HTTP server stops counting it.
  socket.destroy();
  const opts = { handle, onread: { buffer, callback: (n: number, buf: Buffer) => callback(buf.subarray(0, n)) } };
  return new Socket(opts as unknown as SocketConstructorOpts);
}

type QueueItem = PooledBatch | { finish: true };

interface PooledBatch {
  position: number;
  bytes: number;
  /** The bytes to write: a view of `owner` (empty for a mark). */
  data: Buffer;
  owner: Buffer | null;
}

/**
 * Copies contiguous payload bytes into a small pool of reused batch buffers, each written with
 * one positional write. A mark is a batch of no bytes that advances the written offset.
 */
class PooledBatcher {
  private readonly free: Buffer[] = [];
  private current: { position: number; bytes: number; owner: Buffer } | null = null;
  private readonly sealed: PooledBatch[] = [];

  constructor(
    count: number,
    private readonly batchBytes: number,
  ) {
    // Page-aligned, so that a whole batch at an aligned position is one direct write.
    this.free.push(...alignedBuffers(count, batchBytes));
  }

  /** Room for one more read: a chunk of at most BULK_READ_BYTES fills the current batch and at most one more. */
  get hasRoom(): boolean {
    return this.free.length > 0;
  }

  add(position: number, data: Buffer): void {
    let at = 0;
    while (at < data.length) {
      const cur = this.current;
      if (cur && (cur.position + cur.bytes !== position + at || cur.bytes === this.batchBytes)) this.sealCurrent();
      if (!this.current) {
        const owner = this.free.pop();
        if (!owner) {
          // Many small records in one read can outrun the pool: the rest of this one is copied
          // apart (at most one read's worth), and the reader stops as the pool is empty.
          const rest = Buffer.from(data.subarray(at));
          this.sealed.push({ position: position + at, bytes: rest.length, data: rest, owner: null });
          return;
        }
        this.current = { position: position + at, bytes: 0, owner };
      }
      const c = this.current;
      const take = Math.min(data.length - at, this.batchBytes - c.bytes);
      data.copy(c.owner, c.bytes, at, at + take);
      c.bytes += take;
      at += take;
    }
  }

  mark(offset: number): void {
    this.sealCurrent();
    this.sealed.push({ position: offset, bytes: 0, data: Buffer.alloc(0), owner: null });
  }

  sealCurrent(): void {
    const c = this.current;
    if (c) this.sealed.push({ position: c.position, bytes: c.bytes, data: c.owner.subarray(0, c.bytes), owner: c.owner });
    this.current = null;
  }

  takeSealed(): PooledBatch[] {
    return this.sealed.splice(0);
  }

  release(batch: PooledBatch): void {
    if (batch.owner) this.free.push(batch.owner);
    batch.owner = null;
  }
}
