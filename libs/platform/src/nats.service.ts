import { Logger } from 'pino';
import { connect, JSONCodec, NatsConnection, NatsError, Subscription, ErrorCode as NatsErrorCode } from 'nats';
import {
  CallContract,
  CodedError,
  ErrorCode,
  EventContract,
  ReplyEnvelope,
  RequestEnvelope,
  resolveSubject,
} from '@volume/contracts';
import { NatsAuthConfig, natsConnectOptions } from './nats-auth';

export interface CallOptions {
  host?: string;
  timeoutMs?: number;
  requestId?: string;
}

export interface HandlerMeta {
  requestId?: string;
  log: Logger;
}

const codec = JSONCodec<unknown>();

/**
 * Typed request-reply and events over NATS. Handlers return values or throw; a thrown CodedError
 * crosses the wire as its code, anything else as INTERNAL. Callers always get a CodedError.
 */
export class NatsService {
  private readonly subscriptions: Subscription[] = [];
  private readonly inflight = new Set<Promise<unknown>>();

  private constructor(
    readonly connection: NatsConnection,
    private readonly log: Logger,
    private readonly prefix: string,
  ) {}

  /**
   * `subjectPrefix` puts every subject of this deployment under its own namespace, so that several
   * stacks (parallel test suites, staging next to dev) can share one NATS server without crosstalk.
   */
  static async connect(url: string, name: string, log: Logger, subjectPrefix = '', auth: NatsAuthConfig = {}): Promise<NatsService> {
    const connection = await connect({
      ...natsConnectOptions(auth),
      servers: url,
      name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      timeout: 5_000,
    });
    const svc = new NatsService(connection, log, subjectPrefix ? `${subjectPrefix}.` : '');
    void (async () => {
      for await (const s of connection.status()) {
        if (s.type === 'disconnect' || s.type === 'reconnect') log.warn({ nats: s.type }, `NATS ${s.type}`);
      }
    })();
    return svc;
  }

  private subject(template: string, host?: string): string {
    return this.prefix + resolveSubject(template, host);
  }

  get isConnected(): boolean {
    return !this.connection.isClosed() && !this.connection.isDraining();
  }

  async call<Req, Res>(contract: CallContract<Req, Res>, payload: Req, opts: CallOptions = {}): Promise<Res> {
    const subject = this.subject(contract.subject, opts.host);
    const envelope: RequestEnvelope<Req> = { requestId: opts.requestId, payload };
    let reply;
    try {
      reply = await this.connection.request(subject, codec.encode(envelope), {
        timeout: opts.timeoutMs ?? contract.timeoutMs,
      });
    } catch (err) {
      const code = (err as NatsError).code;
      if (code === NatsErrorCode.NoResponders) {
        throw new CodedError(ErrorCode.Unavailable, `No service answers on ${subject}`);
      }
      if (code === NatsErrorCode.Timeout) {
        throw new CodedError(ErrorCode.Timeout, `No answer on ${subject} within ${opts.timeoutMs ?? contract.timeoutMs} ms`);
      }
      throw new CodedError(ErrorCode.Unavailable, `NATS request on ${subject} failed: ${(err as Error).message}`);
    }
    const body = codec.decode(reply.data) as ReplyEnvelope<Res>;
    if (body.ok) return body.result;
    throw CodedError.fromWire(body.error);
  }

  /** Answers a call. Work still running at shutdown is awaited by `drain()`. */
  serve<Req, Res>(
    contract: CallContract<Req, Res>,
    handler: (payload: Req, meta: HandlerMeta) => Promise<Res> | Res,
    opts: { host?: string } = {},
  ): void {
    const subject = this.subject(contract.subject, opts.host);
    const sub = this.connection.subscribe(subject, {
      queue: contract.queue,
      callback: (err, msg) => {
        if (err) {
          this.log.error({ err, subject }, 'subscription error');
          return;
        }
        const work = (async () => {
          let envelope: RequestEnvelope<Req>;
          try {
            envelope = codec.decode(msg.data) as RequestEnvelope<Req>;
          } catch {
            msg.respond(codec.encode({ ok: false, error: { code: ErrorCode.BadRequest, message: 'undecodable request' } }));
            return;
          }
          const log = this.log.child({ subject, reqId: envelope.requestId });
          let reply: ReplyEnvelope<Res>;
          try {
            reply = { ok: true, result: await handler(envelope.payload, { requestId: envelope.requestId, log }) };
          } catch (e) {
            if (e instanceof CodedError) {
              reply = { ok: false, error: e.toWire() };
            } else {
              log.error({ err: e }, 'handler failed');
              reply = { ok: false, error: { code: ErrorCode.Internal, message: (e as Error).message ?? String(e) } };
            }
          }
          if (msg.reply) msg.respond(codec.encode(reply));
        })();
        this.track(work);
      },
    });
    this.subscriptions.push(sub);
  }

  publish<T>(contract: EventContract<T>, payload: T, requestId?: string): void {
    const envelope: RequestEnvelope<T> = { requestId, payload };
    this.connection.publish(this.subject(contract.subject), codec.encode(envelope));
  }

  subscribe<T>(contract: EventContract<T>, handler: (payload: T, meta: HandlerMeta) => Promise<void> | void): void {
    const subject = this.subject(contract.subject);
    const sub = this.connection.subscribe(subject, {
      queue: contract.queue,
      callback: (err, msg) => {
        if (err) return;
        const work = (async () => {
          const envelope = codec.decode(msg.data) as RequestEnvelope<T>;
          const log = this.log.child({ subject, reqId: envelope.requestId });
          try {
            await handler(envelope.payload, { requestId: envelope.requestId, log });
          } catch (e) {
            log.error({ err: e }, 'event handler failed');
          }
        })();
        this.track(work);
      },
    });
    this.subscriptions.push(sub);
  }

  /** Work started by a handler that outlives its reply; `drain()` waits for it too. */
  track(work: Promise<unknown>): void {
    this.inflight.add(work);
    void work.finally(() => this.inflight.delete(work));
  }

  /** Stops taking new messages, waits for handlers under way, then closes. */
  async drain(): Promise<void> {
    for (const s of this.subscriptions) s.unsubscribe();
    await Promise.allSettled([...this.inflight]);
    if (!this.connection.isClosed()) {
      await this.connection.drain().catch(() => this.connection.close());
    }
  }
}
