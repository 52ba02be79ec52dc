import { WireError } from './errors';

/**
 * A request-reply message: the caller waits for one answer, at most `timeoutMs`.
 * `subject` may hold `{host}`, filled in with the target worker's host when calling.
 */
export interface CallContract<Req, Res> {
  readonly kind: 'call';
  readonly subject: string;
  readonly timeoutMs: number;
  /** Handlers of the same queue group share the work (one of them answers each request). */
  readonly queue?: string;
  readonly __types?: { req: Req; res: Res };
}

/** A fire-and-forget message. */
export interface EventContract<T> {
  readonly kind: 'event';
  readonly subject: string;
  readonly queue?: string;
  readonly __types?: { payload: T };
}

export function defineCall<Req, Res>(subject: string, timeoutMs: number, queue?: string): CallContract<Req, Res> {
  return { kind: 'call', subject, timeoutMs, queue };
}

export function defineEvent<T>(subject: string, queue?: string): EventContract<T> {
  return { kind: 'event', subject, queue };
}

export type RequestOf<C> = C extends CallContract<infer Req, unknown> ? Req : never;
export type ReplyOf<C> = C extends CallContract<unknown, infer Res> ? Res : never;

/** What travels in a request: the payload plus the HTTP request id, so that logs correlate. */
export interface RequestEnvelope<T> {
  requestId?: string;
  payload: T;
}

export type ReplyEnvelope<T> = { ok: true; result: T } | { ok: false; error: WireError };

/** NATS subject tokens may not hold '.', '*', '>' or white space; hosts are single tokens. */
export const HOST_TOKEN = /^[A-Za-z0-9_-]+$/;

export function resolveSubject(subject: string, host?: string): string {
  if (!subject.includes('{host}')) return subject;
  if (!host || !HOST_TOKEN.test(host)) {
    throw new Error(`subject ${subject} needs a host made of letters, digits, '-' or '_' (got ${JSON.stringify(host)})`);
  }
  return subject.replace('{host}', host);
}
