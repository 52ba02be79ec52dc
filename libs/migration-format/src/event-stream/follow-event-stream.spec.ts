import { followEventStream, type OpenStream, StreamEnded } from './follow-event-stream';
import type { SseEvent } from './sse-parser';

/** A stream the fake server writes into, and ends (a drop) when it likes. */
function body(): { stream: ReadableStream<Uint8Array>; write: (text: string) => void; drop: () => void } {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const stream = new ReadableStream<Uint8Array>({ start: (c) => (controller = c) });
  return { stream, write: (text) => controller.enqueue(new TextEncoder().encode(text)), drop: () => controller.close() };
}

interface Connection {
  lastEventId: string | undefined;
}

/** Answers each open with the next of `answers`; a function answer gets the connection's request. */
function fakeServer(answers: ((c: Connection) => Response | Promise<Response>)[]): { open: OpenStream; connections: Connection[] } {
  const connections: Connection[] = [];
  const open: OpenStream = async (lastEventId) => {
    const c = { lastEventId };
    connections.push(c);
    const next = answers.shift();
    if (!next) throw new Error('no more answers');
    return next(c);
  };
  return { open, connections };
}

const sse = (stream: ReadableStream<Uint8Array>) => new Response(stream, { status: 200, headers: { 'content-type': 'text/event-stream' } });

describe('following an event stream', () => {
  it('when the stream drops, then it is opened again with Last-Event-ID of the last event, after the server’s retry', async () => {
    const first = body();
    const second = body();
    const events: SseEvent[] = [];
    const stop = new AbortController();
    const server = fakeServer([() => sse(first.stream), () => sse(second.stream)]);
    const opened: number[] = [];
    const retried: unknown[] = [];
    const done = followEventStream(
      server.open,
      {
        onOpen: () => void opened.push(Date.now()),
        onRetry: (r) => retried.push(r),
        onEvent: (e) => {
          events.push(e);
          if (e.id === '12') stop.abort();
        },
      },
      stop.signal,
      { retryMs: 5_000 },
    );
    first.write('retry: 50\n\nid: 10\nevent: migration\ndata: {"n":1}\n\nid: 11\nevent: migration\ndata: {"n":2}\n\n');
    await new Promise((r) => setTimeout(r, 20));
    first.drop();
    await new Promise((r) => setTimeout(r, 100));
    second.write('id: 12\nevent: end\ndata: {"n":3}\n\n');
    expect(await done).toBe('aborted');
    expect(server.connections).toEqual([{ lastEventId: undefined }, { lastEventId: '11' }]);
    expect(retried).toEqual([expect.any(StreamEnded)]);
    expect(events.map((e) => [e.id, e.event, e.data])).toEqual([
      ['10', 'migration', '{"n":1}'],
      ['11', 'migration', '{"n":2}'],
      ['12', 'end', '{"n":3}'],
    ]);
    // retry: 50 of the server, not the caller's 5 s
    expect(opened[1] - opened[0]).toBeLessThan(2_000);
  });

  it('when the server has no stream (404), then following ends as unsupported; when it has nothing more (204), as closed', async () => {
    const never = new AbortController().signal;
    expect(await followEventStream(fakeServer([() => new Response('{}', { status: 404 })]).open, { onEvent: () => undefined }, never)).toBe('unsupported');
    expect(await followEventStream(fakeServer([() => new Response(null, { status: 204 })]).open, { onEvent: () => undefined }, never)).toBe('closed');
  });

  it('when opening fails in a way the caller calls fatal, then it is thrown; otherwise it is tried again', async () => {
    const fatal = new Error('401 the token was refused');
    const retried: unknown[] = [];
    const server = fakeServer([
      () => Promise.reject(new TypeError('fetch failed')),
      () => new Response('busy', { status: 503 }),
      () => Promise.reject(fatal),
    ]);
    const following = followEventStream(server.open, { onEvent: () => undefined, onRetry: (r) => retried.push(r) }, new AbortController().signal, {
      retryMs: 1,
      retryable: (err) => err !== fatal,
    });
    await expect(following).rejects.toBe(fatal);
    expect(retried.map((r) => (r as Error).message)).toEqual(['fetch failed', 'the events stream answered HTTP 503']);
  });

  it('when the caller aborts while the stream is quiet, then following ends at once', async () => {
    const quiet = body();
    const stop = new AbortController();
    const following = followEventStream(fakeServer([() => sse(quiet.stream)]).open, { onEvent: () => undefined }, stop.signal);
    setTimeout(() => stop.abort(), 20);
    expect(await following).toBe('aborted');
  });
});
