import { Agent, ClientRequest, IncomingMessage, request } from 'node:http';
import { CopyRecord, CopySink } from './copy-sink';
import { encodeRecordHeader } from './segment-records';

export interface RemoteSinkOptions {
  /** A connection silent this long fails the copy (default 120 s). */
  idleTimeoutMs?: number;
}

/** The answer of the data server is a few bytes of JSON; anything bigger is not it. */
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * A copy to another worker's data server (protocol in data-server.ts): one PUT per segment on a
 * single keep-alive connection, records streamed as the engine produces them. Each record is
 * handed to the socket only when the previous one has left for the kernel, so the engine's next
 * block is read while this one is on the wire, and a slow receiver slows the reader down.
 */
export function remoteSink(url: string, secret: string, opts: RemoteSinkOptions = {}): CopySink {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const idleTimeoutMs = opts.idleTimeoutMs ?? 120_000;
  let closed = false;

  const put = (target: string, records: AsyncIterable<CopyRecord> | null, signal?: AbortSignal): Promise<number> => {
    if (closed) return Promise.reject(new Error(`the copy sink for ${url} is closed`));
    return new Promise<number>((resolve, reject) => {
      let settled = false;
      const settle = (err: Error | null, durable?: number) => {
        if (settled) return;
        settled = true;
        if (err) {
          reject(err);
          req.destroy();
        } else resolve(durable as number);
      };
      const req = request(target, {
        method: 'PUT',
        agent,
        signal,
        timeout: idleTimeoutMs,
        headers: {
          authorization: `Bearer ${secret}`,
          'content-type': 'application/octet-stream',
          ...(records ? { expect: '100-continue' } : { 'content-length': 0 }),
        },
      });
      req.on('timeout', () => req.destroy(new Error(`no progress for ${idleTimeoutMs} ms`)));
      let answered = false;
      // Once an answer has begun, it tells more than the reset that follows an early refusal.
      req.on('error', (err) => answered || settle(streamError(url, err)));
      req.on('response', (res) => {
        answered = true;
        readAnswer(res).then(
          (body) => {
            try {
              settle(null, durableFrom(url, res.statusCode ?? 0, body));
            } catch (err) {
              settle(err as Error);
            }
          },
          (err: Error) => settle(streamError(url, err)),
        );
      });
      if (records) req.once('continue', () => void sendRecords(req, records).catch((err: Error) => settle(err)));
      else req.end();
    });
  };

  return {
    writeSegment: (records, signal) => put(url, records, signal),
    finish: (_sizeBytes, signal) => put(`${url}?sync=1`, null, signal),
    async close(): Promise<void> {
      closed = true;
      agent.destroy();
    },
  };
}

async function sendRecords(req: ClientRequest, records: AsyncIterable<CopyRecord>): Promise<void> {
  const closed = new Promise<void>((resolve) => req.once('close', resolve));
  for await (const { offset, data } of records) {
    // Written in the same tick, header and data leave in one corked writev.
    const written = new Promise<void>((resolve, reject) => {
      const done = (err?: Error | null) => (err ? reject(err) : resolve());
      if (data.length === 0) req.write(encodeRecordHeader(offset, 0), done);
      else {
        req.write(encodeRecordHeader(offset, data.length));
        req.write(data, done);
      }
    });
    // The request may be destroyed (an early answer, an abort) without calling back.
    written.catch(() => undefined);
    await Promise.race([written, closed]);
    if (req.destroyed) throw new Error('the data stream closed while sending');
  }
  req.end();
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

function durableFrom(url: string, status: number, body: string): number {
  let parsed: { durableThrough?: unknown; error?: unknown } = {};
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch {
    // Not JSON (a proxy's page?): the status alone tells what happened.
  }
  if (status !== 200) {
    const reason = typeof parsed.error === 'string' ? `: ${parsed.error}` : '';
    throw Object.assign(new Error(`migration data server at ${url} refused the data: HTTP ${status}${reason}`), { status });
  }
  if (!Number.isSafeInteger(parsed.durableThrough) || (parsed.durableThrough as number) < 0) {
    throw new Error(`migration data server at ${url} answered without a durable offset: ${body.slice(0, 200)}`);
  }
  return parsed.durableThrough as number;
}

function streamError(url: string, err: Error): Error {
  if (err.name === 'AbortError') return err;
  const code = (err as NodeJS.ErrnoException).code;
  return Object.assign(new Error(`migration data stream to ${url} failed: ${err.message}`, { cause: err }), { code });
}
