/** One Server-Sent Event: comments are dropped; `retry:` is kept by the parser (`retryMs`). */
export interface SseEvent {
  id?: string;
  event: string;
  data: string;
}

/**
 * The event-stream format (WHATWG HTML §9.2.6), fed text as it arrives from `fetch`: the browser's
 * EventSource would parse it, but cannot send X-Auth-Token (nor can Node's). Lines end in LF, CRLF
 * or CR; a blank line dispatches; an event without data is dropped.
 */
export class SseParser {
  /** The server's last `retry:` (ms before reconnecting), if it sent one. */
  retryMs: number | undefined;
  private buffer = '';
  private data: string[] = [];
  private event = '';
  private id: string | undefined;
  /** The last chunk ended in CR: an LF opening the next one is the rest of that CRLF. */
  private pendingCr = false;

  constructor(private readonly onEvent: (e: SseEvent) => void) {}

  push(chunk: string): void {
    const text = this.pendingCr && chunk.startsWith('\n') ? chunk.slice(1) : chunk;
    this.pendingCr = text.endsWith('\r');
    const lines = (this.buffer + text).split(/\r\n|\r|\n/);
    this.buffer = lines.pop() ?? '';
    for (const line of lines) this.line(line);
  }

  private line(line: string): void {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
    else if (field === 'id' && !value.includes('\0')) this.id = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.retryMs = Number(value);
  }

  private dispatch(): void {
    const data = this.data;
    const event = this.event || 'message';
    this.data = [];
    this.event = '';
    if (data.length === 0) return;
    this.onEvent({ id: this.id, event, data: data.join('\n') });
  }
}
