import { type SseEvent, SseParser } from './sse-parser';

/**
 * Sends the stream's request (the caller's URL and headers: the token goes in a header, never the
 * URL), with `Last-Event-ID` when `lastEventId` is set. It may throw: see `FollowOptions.retryable`.
 */
export type OpenStream = (lastEventId: string | undefined, signal: AbortSignal) => Promise<Response>;

export interface StreamHandlers {
  /**
   * A connection is open, the first or one after a drop, and its events are not read yet: the
   * moment to read the whole picture that the stream then changes.
   */
  onOpen?(): Promise<void> | void;
  onEvent(e: SseEvent): void;
  /** The stream could not be opened or dropped; it is opened again after the server's `retry:`. */
  onRetry?(reason: unknown): void;
}

export interface FollowOptions {
  /** Wait before opening again, until the server says otherwise with `retry:` (2 s by default). */
  retryMs?: number;
  /** Whether an error thrown by `open` is worth another try; when not, it is thrown. Every one is, by default. */
  retryable?: (err: unknown) => boolean;
}

/**
 * Why following ended: `unsupported` (404, no stream there: poll instead), `closed` (204, the server
 * has nothing more, as for a finished migration) or `aborted` (the caller's signal).
 */
export type StreamEnd = 'unsupported' | 'closed' | 'aborted';

const DEFAULT_RETRY_MS = 2000;

/** What `onRetry` gets when the server ended the stream itself (as it does after a migration's last event). */
export class StreamEnded extends Error {
  constructor() {
    super('the events stream ended');
  }
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => (clearTimeout(timer), signal.removeEventListener('abort', done), resolve());
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Feeds the body to the parser until it ends, drops or the signal aborts; why it ended, when it dropped. */
async function read(body: ReadableStream<Uint8Array>, parser: SseParser, signal: AbortSignal): Promise<unknown> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const cancel = () => reader.cancel().catch(() => undefined);
  signal.addEventListener('abort', cancel, { once: true });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return new StreamEnded();
      parser.push(decoder.decode(value, { stream: true }));
    }
  } catch (err) {
    return err;
  } finally {
    signal.removeEventListener('abort', cancel);
  }
}

/**
 * Follows a Server-Sent Events stream read with fetch (EventSource can send no X-Auth-Token), as
 * EventSource would: opened again after a drop, resuming with `Last-Event-ID` from the last event's
 * id, after the server's `retry:`. Runs in a browser and in Node alike.
 */
export async function followEventStream(open: OpenStream, handlers: StreamHandlers, signal: AbortSignal, options: FollowOptions = {}): Promise<StreamEnd> {
  let lastEventId: string | undefined;
  let retryMs = options.retryMs ?? DEFAULT_RETRY_MS;
  while (!signal.aborted) {
    let res: Response;
    try {
      res = await open(lastEventId, signal);
    } catch (err) {
      if (signal.aborted) break;
      if (options.retryable && !options.retryable(err)) throw err;
      handlers.onRetry?.(err);
      await pause(retryMs, signal);
      continue;
    }
    if (res.status === 404 || res.status === 204) {
      await res.body?.cancel();
      return res.status === 404 ? 'unsupported' : 'closed';
    }
    if (!res.ok || !res.body) {
      await res.body?.cancel();
      handlers.onRetry?.(new Error(`the events stream answered HTTP ${res.status}`));
      await pause(retryMs, signal);
      continue;
    }
    const parser = new SseParser((e) => {
      if (e.id) lastEventId = e.id;
      handlers.onEvent(e);
    });
    try {
      await handlers.onOpen?.();
    } catch (err) {
      await res.body.cancel();
      throw err;
    }
    const dropped = await read(res.body, parser, signal);
    retryMs = parser.retryMs ?? retryMs;
    if (signal.aborted) break;
    handlers.onRetry?.(dropped);
    await pause(retryMs, signal);
  }
  return 'aborted';
}
