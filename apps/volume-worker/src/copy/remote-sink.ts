import { IncomingMessage, request } from 'node:http';
import { Socket } from 'node:net';
import { CopyRecord, CopySink, DestinationLostError } from './copy-sink';
import { COPY_STREAM_PROTOCOL, encodeFinishMark, encodeRecordHeader } from './segment-records';

export interface RemoteSinkOptions {
  /** A connection silent this long fails the copy (default 120 s). */
  idleTimeoutMs?: number;
}

/** An answer of the data server is a few bytes of JSON; anything bigger is not it. */
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * A copy to another worker's data server over one copy stream (protocol in data-server.ts): a
 * single connection for the whole copy, opened on the first segment, upgraded from HTTP once the
 * server has checked the secret, then raw records. Each record is handed to the socket only when
 * the previous one has left for the kernel, so the engine's next block is read while this one is
 * on the wire, and a slow receiver (TCP flow control) slows the reader down. The server reports
 * durable offsets as its background fdatasyncs complete; `writeSegment` resolves, once its records
 * are sent, with the latest it reported, and `finish` with the one after the final fdatasync.
 */
export function remoteSink(url: string, secret: string, opts: RemoteSinkOptions = {}): CopySink {
  return new StreamSink(url, secret, opts.idleTimeoutMs ?? 120_000);
}

class StreamSink implements CopySink {
  private connecting: Promise<Socket> | null = null;
  private socket: Socket | null = null;
  private durable = 0;
  private finished = false;
  private failure: Error | null = null;
  /** Settles when the stream fails or closes; every wait races it. */
  private readonly broken: Promise<never>;
  private breakWith!: (err: Error) => void;
  private finishWaiter: ((durable: number) => void) | null = null;
  private closed = false;
  private answers = '';
  private readonly durableListeners: ((durableThrough: number) => void)[] = [];

  constructor(
    private readonly url: string,
    private readonly secret: string,
    private readonly idleTimeoutMs: number,
  ) {
    this.broken = new Promise<never>((_resolve, reject) => {
      this.breakWith = reject;
    });
    this.broken.catch(() => undefined);
  }

  async writeSegment(records: AsyncIterable<CopyRecord>, signal?: AbortSignal): Promise<number> {
    const socket = await this.connect(signal);
    const stop = this.stopOn(signal);
    try {
      for await (const { offset, data } of records) {
        this.throwIfBroken();
        // Header and data in one corked writev; the callback of the data means it left for the kernel.
        const written = new Promise<void>((resolve, reject) => {
          const done = (err?: Error | null) => (err ? reject(this.failure ?? err) : resolve());
          socket.cork();
          if (data.length === 0) socket.write(encodeRecordHeader(offset, 0), done);
          else {
            socket.write(encodeRecordHeader(offset, data.length));
            socket.write(data, done);
          }
          socket.uncork();
        });
        written.catch(() => undefined);
        await Promise.race([written, this.broken]);
      }
      this.throwIfBroken();
      return this.durable;
    } finally {
      stop();
    }
  }

  async finish(sizeBytes: number, signal?: AbortSignal): Promise<number> {
    const socket = await this.connect(signal);
    const stop = this.stopOn(signal);
    try {
      this.throwIfBroken();
      const answered = new Promise<number>((resolve) => {
        this.finishWaiter = resolve;
      });
      socket.write(encodeFinishMark(sizeBytes));
      const durable = await Promise.race([answered, this.broken]);
      socket.end();
      return durable;
    } finally {
      stop();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.fail(new Error(`the copy sink for ${this.url} is closed`));
    const socket = this.socket ?? (await this.connecting?.catch(() => null));
    if (!socket) return;
    if (this.finished) socket.end();
    else socket.destroy();
  }

  private connect(signal?: AbortSignal): Promise<Socket> {
    if (this.closed) return Promise.reject(new Error(`the copy sink for ${this.url} is closed`));
    signal?.throwIfAborted();
    this.connecting ??= new Promise<Socket>((resolve, reject) => {
      const req = request(this.url, {
        method: 'PUT',
        agent: false,
        timeout: this.idleTimeoutMs,
        headers: { authorization: `Bearer ${this.secret}`, connection: 'upgrade', upgrade: COPY_STREAM_PROTOCOL },
      });
      const onAbort = () => req.destroy(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
      signal?.addEventListener('abort', onAbort, { once: true });
      const settled = () => signal?.removeEventListener('abort', onAbort);
      req.on('timeout', () => req.destroy(new Error(`no answer for ${this.idleTimeoutMs} ms`)));
      req.on('error', (err) => {
        settled();
        reject(streamError(this.url, err));
      });
      req.on('response', (res) => {
        settled();
        readAnswer(res).then(
          (body) => reject(refusal(this.url, res.statusCode ?? 0, body)),
          (err: Error) => reject(streamError(this.url, err)),
        );
      });
      req.on('upgrade', (res: IncomingMessage, socket: Socket, head: Buffer) => {
        settled();
        if ((res.headers.upgrade ?? '').toLowerCase() !== COPY_STREAM_PROTOCOL) {
          socket.destroy();
          reject(new Error(`migration data server at ${this.url} upgraded to ${res.headers.upgrade}, not ${COPY_STREAM_PROTOCOL}`));
          return;
        }
        this.attach(socket, head);
        resolve(socket);
      });
      req.end();
    });
    return this.connecting;
  }

  private attach(socket: Socket, head: Buffer): void {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.setTimeout(this.idleTimeoutMs, () => socket.destroy(new Error(`no progress for ${this.idleTimeoutMs} ms`)));
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => this.onAnswers(text));
    socket.on('error', (err) => this.fail(streamError(this.url, err)));
    socket.on('close', () => this.fail(new DestinationLostError(`the data stream to ${this.url} closed before the copy finished`)));
    if (head.length > 0) this.onAnswers(head.toString('utf8'));
  }

  /** JSON lines from the server: durable offsets, the finish answer, or an error. */
  private onAnswers(text: string): void {
    this.answers += text;
    if (this.answers.length > MAX_ANSWER_BYTES) {
      this.fail(new Error(`the data server at ${this.url} sent an answer that is too long`));
      this.socket?.destroy();
      return;
    }
    let newline: number;
    while ((newline = this.answers.indexOf('\n')) >= 0) {
      const line = this.answers.slice(0, newline);
      this.answers = this.answers.slice(newline + 1);
      let answer: { durableThrough?: unknown; finished?: unknown; error?: unknown; status?: unknown };
      try {
        answer = JSON.parse(line) as typeof answer;
      } catch {
        answer = {};
      }
      if (typeof answer.error === 'string') {
        const status = typeof answer.status === 'number' ? answer.status : 0;
        this.fail(Object.assign(new Error(`migration data server at ${this.url} refused the data: ${status ? `${status}: ` : ''}${answer.error}`), { status }));
        this.socket?.destroy();
        return;
      }
      if (!Number.isSafeInteger(answer.durableThrough) || (answer.durableThrough as number) < 0) {
        this.fail(new Error(`migration data server at ${this.url} answered without a durable offset: ${line.slice(0, 200)}`));
        this.socket?.destroy();
        return;
      }
      if ((answer.durableThrough as number) > this.durable) {
        this.durable = answer.durableThrough as number;
        for (const listener of this.durableListeners) listener(this.durable);
      }
      if (answer.finished === true && this.finishWaiter) {
        this.finished = true;
        this.finishWaiter(this.durable);
        this.finishWaiter = null;
      }
    }
  }

  onDurable(listener: (durableThrough: number) => void): void {
    this.durableListeners.push(listener);
  }

  private stopOn(signal?: AbortSignal): () => void {
    if (!signal) return () => undefined;
    const onAbort = () => {
      this.fail(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      this.socket?.destroy();
    };
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    return () => signal.removeEventListener('abort', onAbort);
  }

  private fail(err: Error): void {
    if (this.failure || this.finished) return;
    this.failure = err;
    this.breakWith(err);
  }

  private throwIfBroken(): void {
    if (this.failure) throw this.failure;
  }
}

async function readAnswer(res: IncomingMessage): Promise<string> {
  let body = '';
  res.setEncoding('utf8');
  for await (const chunk of res) {
    body += chunk as string;
    if (body.length > MAX_ANSWER_BYTES) throw new Error('the data server answer is too long');
  }
  return body;
}

/**
 * Answers that mean the destination is not (or no longer) there for this copy: no such target (its
 * worker restarted and has not been asked to open it again), or a proxy with no server behind it.
 */
const DESTINATION_AWAY = new Set([404, 502, 503, 504]);

/** A refused upgrade: the server answered with a plain HTTP status and a JSON `{"error"}`. */
function refusal(url: string, status: number, body: string): Error {
  let reason = '';
  try {
    const parsed = JSON.parse(body) as { error?: unknown };
    if (typeof parsed.error === 'string') reason = `: ${parsed.error}`;
  } catch {
    // Not JSON (a proxy's page?): the status alone tells what happened.
  }
  const message = `migration data server at ${url} refused the data: HTTP ${status}${reason}`;
  return Object.assign(DESTINATION_AWAY.has(status) ? new DestinationLostError(message) : new Error(message), { status });
}

/** A connection that failed or broke: the destination (or the way to it) is away, not refusing. */
function streamError(url: string, err: Error): Error {
  if (err.name === 'AbortError') return err;
  const code = (err as NodeJS.ErrnoException).code;
  return Object.assign(new DestinationLostError(`migration data stream to ${url} failed: ${err.message}`, { cause: err }), { code });
}
