import { ServerResponse } from 'node:http';

export type HeaderValues = Record<string, string | number | string[] | undefined>;

/**
 * A `text/event-stream` answer written straight to Node's response (Fastify's reply is hijacked:
 * it would otherwise buffer, time out or answer a second time). No caching anywhere, and no
 * buffering in a proxy in front (nginx honours `X-Accel-Buffering: no`), so each event leaves at once.
 */
export class SseResponse {
  constructor(private readonly raw: ServerResponse) {}

  get open(): boolean {
    return !this.raw.writableEnded && !this.raw.destroyed;
  }

  /** `headers`: what the request hooks set already (request id, microversion). */
  start(headers: HeaderValues, retryMs: number): void {
    const all: HeaderValues = {
      ...headers,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
      connection: 'keep-alive',
    };
    delete all['content-length'];
    this.raw.writeHead(200, Object.fromEntries(Object.entries(all).filter(([, v]) => v !== undefined)) as Record<string, string | number | string[]>);
    this.raw.write(`retry: ${retryMs}\n\n`);
  }

  event(name: string, data: unknown, id?: number): void {
    if (!this.open) return;
    const idLine = id === undefined ? '' : `id: ${id}\n`;
    this.raw.write(`${idLine}event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  comment(text: string): void {
    if (this.open) this.raw.write(`: ${text}\n\n`);
  }

  end(): void {
    if (this.open) this.raw.end();
  }

  onClose(listener: () => void): void {
    this.raw.once('close', listener);
  }
}
