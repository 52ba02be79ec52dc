/**
 * The receiving end of the worker-to-worker migration data stream. NATS only carries control
 * messages (open/close target); the data flows over plain HTTP/1.1 between the two workers: a copy
 * stream (below; what `remoteSink` sends) or, as senders before it did, one PUT per segment.
 *
 * Segment protocol:
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
 *
 * Copy stream (what `remoteSink` uses: one connection for a whole copy, no request per segment,
 * no chunked encoding, no HTTP parsing of the data):
 *
 * - The same URL, method, secret and refusals (as plain HTTP answers), with the headers
 *   `connection: upgrade` and `upgrade: volume-copy-stream/1` and no body. The server authorises,
 *   then answers `101 Switching Protocols`; from then on the connection is a raw byte stream.
 * - Sender to server: records in the framing above, ascending across the whole copy, then the
 *   finish mark: a header `[u64 size][u32 0xffffffff]` (no payload) at the target's size, after
 *   which nothing may follow. Marks (records of length 0) may come at any point.
 * - Server to sender, one JSON object per line: `{"durableThrough": n}` whenever a background
 *   fdatasync has moved the durable offset on (never before the fdatasync has returned); after the
 *   finish mark, once everything is written, sized and fdatasync'd, `{"durableThrough": size,
 *   "finished": true}`. On an error, `{"error": "...", "status": 400|500}`, then the server ends
 *   the connection. The sender ends the connection after the finish answer; a stream that ends
 *   without its finish mark (a sender that stopped) leaves what was written, not durable.
 * - Flow control as above: the server stops reading while a write batch waits for the one in flight.
 */
import { createServer, IncomingMessage, Server, ServerResponse, STATUS_CODES } from 'node:http';
import { AddressInfo, Socket } from 'node:net';
import { Logger } from 'pino';
import { DurableFile } from './durable-file';
import { authorise, digest, HttpError, MIGRATION_ID, MigrationTarget, Target } from './migration-target';
import { COPY_STREAM_PROTOCOL, FramingError } from './segment-records';
import { receiveBody } from './segment-receiver';
import { receiveStream } from './stream-receiver';

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
  /** Targets are written with O_DIRECT where the filesystem allows it (default true; see direct-io.ts). */
  directIo?: boolean;
  /** Copy streams read into reused 1 MiB buffers (default true; false: Node's 64 KiB reads, see stream-receiver.ts). */
  bulkReads?: boolean;
  log?: Logger;
}

export class MigrationDataServer {
  private readonly server: Server;
  private readonly targets = new Map<string, Target>();
  private listening = false;

  constructor(private readonly opts: MigrationDataServerOptions) {
    this.server = createServer({ requestTimeout: 0 });
    this.server.on('request', (req, res) => this.serve(req, res, false));
    this.server.on('checkContinue', (req, res) => this.serve(req, res, true));
    this.server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => this.serveStream(req, socket, head));
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

  /** The migrations this server holds a stream target for. */
  get targetIds(): string[] {
    return [...this.targets.keys()];
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
      ({ target, sync } = authorise(req, this.targets));
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

  /** A copy stream: authorised like a segment request, then the raw stream (see the protocol above). */
  private serveStream(req: IncomingMessage, socket: Socket, head: Buffer): void {
    let target: Target;
    try {
      ({ target } = authorise(req, this.targets));
      if ((req.headers.upgrade ?? '').toLowerCase() !== COPY_STREAM_PROTOCOL) {
        throw new HttpError(400, `the only upgrade offered is ${COPY_STREAM_PROTOCOL}`);
      }
      if (head.length > 0) throw new HttpError(400, 'a copy stream starts after the 101 answer');
    } catch (err) {
      const status = err instanceof HttpError ? err.status : 500;
      this.opts.log?.warn({ err, url: req.url, status }, 'migration copy stream refused');
      const json = JSON.stringify({ error: (err as Error).message ?? String(err) });
      const extra = status === 401 ? 'www-authenticate: Bearer\r\n' : '';
      socket.end(
        `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\ncontent-type: application/json\r\n` +
          `content-length: ${Buffer.byteLength(json)}\r\n${extra}connection: close\r\n\r\n${json}`,
      );
      socket.on('error', () => undefined);
      return;
    }
    socket.setNoDelay(true);
    target.active.add(socket);
    let stream = socket;
    const handler = receiveStream(socket, this.fileOf(target), target.spec.sizeBytes, {
      bulkReads: this.opts.bulkReads,
      hello: `HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: ${COPY_STREAM_PROTOCOL}\r\n\r\n`,
      onSocket: (adopted) => {
        target.active.delete(socket);
        target.active.add(adopted);
        stream = adopted;
        adopted.setTimeout(this.opts.idleTimeoutMs ?? 120_000, () => adopted.destroy());
      },
    })
      .catch((err) => {
        const socket = stream;
        const status = err instanceof FramingError ? 400 : 500;
        this.opts.log?.[status >= 500 ? 'error' : 'warn']({ err, url: req.url, status }, 'migration copy stream refused');
        if (!socket.destroyed && socket.writable) {
          socket.end(`${JSON.stringify({ error: (err as Error).message ?? String(err), status })}\n`);
          // Whatever the sender still had in flight is not read: the connection goes soon.
          setTimeout(() => socket.destroy(), 5_000).unref();
        } else socket.destroy();
      })
      .finally(() => {
        target.active.delete(stream);
        target.handlers.delete(handler);
      });
    target.handlers.add(handler);
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
        const file = await DurableFile.open(target.spec.path, { syncIntervalMs: this.opts.syncIntervalMs, directIo: this.opts.directIo });
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
