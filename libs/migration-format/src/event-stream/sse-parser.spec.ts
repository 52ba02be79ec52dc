import { type SseEvent, SseParser } from './sse-parser';

function parse(chunks: string[]): SseEvent[] {
  const events: SseEvent[] = [];
  const parser = new SseParser((e) => events.push(e));
  for (const c of chunks) parser.push(c);
  return events;
}

describe('the event-stream parser', () => {
  it('when events arrive whole, then each has its id, name and data; comments and retry are dropped', () => {
    expect(parse(['retry: 2000\n\n: heartbeat\n\nid: 7\nevent: migration\ndata: {"a":1}\n\n'])).toEqual([{ id: '7', event: 'migration', data: '{"a":1}' }]);
  });

  it('when an event is split anywhere across chunks, CRLF included, then it is the same event', () => {
    const text = 'id: 8\r\nevent: migration\r\ndata: {"b":2}\r\n\r\n';
    for (let cut = 1; cut < text.length; cut++) {
      expect(parse([text.slice(0, cut), text.slice(cut)])).toEqual([{ id: '8', event: 'migration', data: '{"b":2}' }]);
    }
  });

  it('when data spans lines, then they are joined with LF; an unnamed event is a message; one without data is dropped', () => {
    expect(parse(['data: one\ndata:two\n\nevent: empty\n\n'])).toEqual([{ id: undefined, event: 'message', data: 'one\ntwo' }]);
  });

  it('when a later event has no id, then it keeps the last id (what Last-Event-ID resumes from)', () => {
    expect(parse(['id: 3\ndata: x\n\ndata: y\n\n']).map((e) => e.id)).toEqual(['3', '3']);
  });
});

describe("the server's retry", () => {
  it('when the stream says retry: 3000, then the parser keeps it; a value that is not a number is ignored', () => {
    const parser = new SseParser(() => undefined);
    parser.push('retry: 3000\n\nretry: soon\n\n');
    expect(parser.retryMs).toBe(3000);
  });
});
