import { IncomingHttpHeaders, IncomingMessage, request } from 'node:http';

/** One Server-Sent Event as a client parses it. */
export interface SseEvent {
  id?: string;
  event: string;
  data: string;
  /** When it arrived (epoch ms). */
  receivedAt: number;
}

/**
 * A Server-Sent Events reader over plain HTTP, for tests: the status and headers, every event and
 * comment in arrival order, and a way to wait for the next ones. A refused request keeps its body.
 */
export class SseClient {
  readonly events: SseEvent[] = [];
  readonly comments: string[] = [];
  body = '';
  readonly ended: Promise<void>;
  private buffer = '';
  private waiters: (() => void)[] = [];
  private closed = false;

  private constructor(
    private readonly res: IncomingMessage,
    private readonly abort: () => void,
  ) {
    res.setEncoding('utf8');
    this.ended = new Promise((resolve) => {
      res.on('data', (chunk: string) => this.feed(chunk));
      res.on('close', () => {
        this.closed = true;
        this.wake();
        resolve();
      });
    });
  }

  static open(url: string, headers: Record<string, string>): Promise<SseClient> {
    return new Promise((resolve, reject) => {
      const req = request(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => resolve(new SseClient(res, () => req.destroy())));
      req.on('error', reject);
      req.end();
    });
  }

  get status(): number {
    return this.res.statusCode ?? 0;
  }

  get headers(): IncomingHttpHeaders {
    return this.res.headers;
  }

  /** Waits until `count` events arrived (or the stream ended: then fewer may be there). */
  async waitForEvents(count: number, timeoutMs = 20_000): Promise<SseEvent[]> {
    await this.waitUntil(() => this.events.length >= count, timeoutMs);
    return this.events;
  }

  async waitUntil(check: () => boolean, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check() && !this.closed) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`SSE: condition not met within ${timeoutMs} ms; events so far: ${JSON.stringify(this.events)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.abort();
  }

  private feed(chunk: string): void {
    if (this.status !== 200) {
      this.body += chunk;
      return;
    }
    this.buffer += chunk;
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      this.parse(block);
    }
    this.wake();
  }

  private parse(block: string): void {
    const event: SseEvent = { event: 'message', data: '', receivedAt: Date.now() };
    let isEvent = false;
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) {
        this.comments.push(line.slice(1).trim());
        continue;
      }
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'id') event.id = value;
      if (field === 'event') event.event = value;
      if (field === 'data') event.data = event.data ? `${event.data}\n${value}` : value;
      if (field === 'id' || field === 'event' || field === 'data') isEvent = true;
    }
    if (isEvent) this.events.push(event);
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
