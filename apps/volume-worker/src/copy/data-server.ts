/**
 * The receiving end of the worker-to-worker migration data stream. NATS only carries control
 * messages (open/close target); the data flows over plain HTTP/1.1 between the two workers.
 *
 * Protocol:
 *
 * - `PUT /migrations/<migrationId>/segments[?sync=1]`, header `authorization: Bearer <secret>`
 *   (the per-migration secret the destination registered). A sender should add
 *   `expect: 100-continue`: the server authorises before it reads a byte, so a refused request
 *   costs no data transfer. One request per segment, on a keep-alive connection.
 * - Body (chunked): records `[u64 offset][u32 length][length bytes]`, big-endian, in ascending
 *   non-overlapping order, within the target's size. The ranges between records are holes and
 *   are never written (the target is a fresh sparse file). A record of length 0 is a mark: the
 *   sender has sent everything before its offset. A segment ends with the mark of its end.
 * - Answer 200 `{"durableThrough": n}` once every record of the body is written (not necessarily
 *   durable): the file is fdatasync'd through offset `n`. The server fdatasyncs in the background
 *   at most once per `syncIntervalMs` (1 s) while writing goes on; `?sync=1` (the sender's final,
 *   usually empty, request) waits for an fdatasync of everything written so far.
 * - Errors, JSON `{"error": "..."}`: 400 bad framing or a record beyond the target; 401 no bearer
 *   token; 403 wrong secret; 404 unknown migration or path; 405 not PUT; 500 a write or fdatasync
 *   failed. After an error the connection closes.
 *
 * Flow control is TCP's: the body is parsed as it arrives and written with one write in flight
 * while the next batch accumulates; reading stops until that write is done, so at most ~2 batches
 * (2 x 4 MiB) per request are in memory whatever the segment size.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { Logger } from 'pino';
import { DurableFile } from './durable-file';
import { FramingError, RecordParser } from './segment-records';

export interface MigrationDataServerOptions {
  /** Listen address. */
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** The address other workers reach this one at; the listen address by default. */
  advertiseHost?: string;
  /** Least time between two background fdatasyncs of a target (default 1 s). */
  syncIntervalMs?: number;
  /** A connection silent this long is dropped (default 120 s): its sender is gone. */
  idleTimeoutMs?: number;
  log?: Logger;
}

export interface MigrationTarget {
  migrationId: string;
  /** The destination file; it must exist, full size and sparse. */
  path: string;
  sizeBytes: number;
  secret: string;
}

interface Target {
  spec: MigrationTarget;
  secretDigest: Buffer;
  file: Promise<DurableFile> | null;
  active: Set<IncomingMessage>;
  handlers: Set<Promise<void>>;
}

const MIGRATION_ID = /^[A-Za-z0-9_-]{1,128}$/;
const SEGMENTS_PATH = /^\/migrations\/([^/]+)\/segments$/;
/** A write batch: big enough for few syscalls, small enough to keep two per request in memory. */
const BATCH_BYTES = 4 * 1024 * 1024;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function digest(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}

export class MigrationDataServer {
  private readonly server: Server;
  private readonly targets = new Map<string, Target>();
  private listening = false;

  constructor(private readonly opts: MigrationDataServerOptions) {
    this.server = createServer({ requestTimeout: 0 });
    this.server.on('request', (req, res) => this.serve(req, res, false));
    this.server.on('checkContinue', (req, res) => this.serve(req, res, true));
    // A throttled segment may take minutes: only silence ends a connection, not a slow body.
    this.server.timeout = opts.idleTimeoutMs ?? 120_000;
    // Longer than a sender's pause between segments, so that it does not reuse a closing socket.
    this.server.keepAliveTimeout = 30_000;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port, this.opts.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.server.on('error', (err) => this.opts.log?.error({ err }, 'migration data server error'));
    this.listening = true;
    this.opts.log?.info({ host: this.opts.host, port: this.port }, 'migration data server listening');
  }

  /** Closes the listener, drops every connection and closes every target's file. */
  async stop(): Promise<void> {
    if (!this.listening) return;
    this.listening = false;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await Promise.all([...this.targets.keys()].map((id) => this.unregister(id)));
    await closed;
  }

  /** Registering an id again (a restarted sender, a new secret) replaces the previous target. */
  register(target: MigrationTarget): { url: string } {
    if (!this.listening) throw new Error('the migration data server is not started');
    if (!MIGRATION_ID.test(target.migrationId)) throw new Error(`invalid migration id ${JSON.stringify(target.migrationId)}`);
    if (!Number.isSafeInteger(target.sizeBytes) || target.sizeBytes < 0) throw new Error(`invalid size ${target.sizeBytes}`);
    if (!target.secret) throw new Error('a migration target needs a secret');
    if (this.targets.has(target.migrationId)) void this.unregister(target.migrationId);
    this.targets.set(target.migrationId, {
      spec: { ...target },
      secretDigest: digest(target.secret),
      file: null,
      active: new Set(),
      handlers: new Set(),
    });
    const host = this.opts.advertiseHost ?? this.opts.host;
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${this.port}/migrations/${target.migrationId}/segments`;
    this.opts.log?.debug({ migrationId: target.migrationId, path: target.path, url }, 'migration target registered');
    return { url };
  }

  /**
   * Drops the target's requests under way and closes its file once their writes are done. Never
   * rejects (callers fire and forget it): a failure to close is logged.
   */
  async unregister(migrationId: string): Promise<void> {
    const target = this.targets.get(migrationId);
    if (!target) return;
    this.targets.delete(migrationId);
    for (const req of target.active) req.destroy();
    await Promise.allSettled([...target.handlers]);
    try {
      await (await target.file)?.close();
    } catch (err) {
      this.opts.log?.warn({ err, migrationId }, 'closing a migration target failed');
    }
  }

  private serve(req: IncomingMessage, res: ServerResponse, expectsContinue: boolean): void {
    let target: Target;
    let sync: boolean;
    try {
      ({ target, sync } = this.authorise(req));
    } catch (err) {
      this.refuse(req, res, err);
      return;
    }
    if (expectsContinue) res.writeContinue();
    target.active.add(req);
    const handler = this.receive(target, req, sync)
      .then((durableThrough) => this.answer(res, 200, { durableThrough }))
      .catch((err) => this.refuse(req, res, err))
      .finally(() => {
        target.active.delete(req);
        target.handlers.delete(handler);
      });
    target.handlers.add(handler);
  }

  private authorise(req: IncomingMessage): { target: Target; sync: boolean } {
    const url = new URL(req.url ?? '/', 'http://data-server');
    const match = SEGMENTS_PATH.exec(url.pathname);
    const target = match ? this.targets.get(decodeURIComponent(match[1])) : undefined;
    if (!target) throw new HttpError(404, match ? 'no such migration target' : 'not found');
    if (req.method !== 'PUT') throw new HttpError(405, 'only PUT is allowed');
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!token) throw new HttpError(401, 'a bearer token is required');
    // Digests have equal lengths, which timingSafeEqual needs, and leak nothing of the secret's length.
    if (!timingSafeEqual(digest(token), target.secretDigest)) throw new HttpError(403, 'wrong secret');
    return { target, sync: url.searchParams.get('sync') === '1' };
  }

  /** Writes the body's records and resolves with the offset through which the target is durable. */
  private async receive(target: Target, req: IncomingMessage, sync: boolean): Promise<number> {
    const file = await this.fileOf(target);
    const covered = await receiveBody(req, file, target.spec.sizeBytes);
    if (covered !== null) file.advance(covered);
    return sync ? file.sync() : file.durableThrough;
  }

  private fileOf(target: Target): Promise<DurableFile> {
    if (!target.file) {
      const opening = (async () => {
        const file = await DurableFile.open(target.spec.path, { syncIntervalMs: this.opts.syncIntervalMs });
        try {
          await file.ensureSize(target.spec.sizeBytes);
        } catch (err) {
          await file.close();
          throw err;
        }
        return file;
      })();
      target.file = opening;
      // A failed open is not cached: the sender's next request tries again.
      opening.catch(() => {
        if (target.file === opening) target.file = null;
      });
    }
    return target.file;
  }

  private refuse(req: IncomingMessage, res: ServerResponse, err: unknown): void {
    // The request stream is destroyed once fully read, so only the response tells whether the sender is still there.
    if (res.destroyed || res.headersSent) {
      this.opts.log?.debug({ err, url: req.url }, 'migration data request ended early');
      return;
    }
    const status = err instanceof HttpError ? err.status : err instanceof FramingError ? 400 : 500;
    this.opts.log?.[status >= 500 ? 'error' : 'warn']({ err, url: req.url, status }, 'migration data request refused');
    this.answer(res, status, { error: (err as Error).message ?? String(err) }, true);
  }

  private answer(res: ServerResponse, status: number, body: object, close = false): void {
    if (res.destroyed) return;
    const json = JSON.stringify(body);
    const headers: Record<string, string | number> = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) };
    // The rest of a refused body is not worth reading: the connection goes.
    if (close) headers.connection = 'close';
    if (status === 401) headers['www-authenticate'] = 'Bearer';
    res.writeHead(status, headers).end(json);
  }
}

/**
 * Streams one request body into the file and resolves with the end of its last record. One write
 * is in flight while the next batch accumulates; reading pauses when that batch is full before the
 * write is done, and TCP then holds the sender back. Plain 'data' events, not an async iterator: a
 * promise per 64 KiB chunk shows at GB/s. A framing error stops reading without destroying the
 * request, so that the sender still gets its 400.
 */
function receiveBody(req: IncomingMessage, file: DurableFile, sizeBytes: number): Promise<number | null> {
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
