import { request } from 'node:http';
import { mkdir, mkdtemp, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export { allocatedBytes, readRange, sparseFile } from '@volume/testing';

export const MIB = 1024 * 1024;

/**
 * A fresh directory on the filesystem a developer's volumes live on (the repository's `.data/`, as
 * `npm start` keeps them), not in the system's temporary directory: that is tmpfs on many
 * distributions, which has no extent map (FIEMAP) and keeps everything in the page cache, so the
 * copy's direct-I/O and hole-map specs could not see what they check. `VOLUME_TEST_TMPDIR`
 * overrides it.
 */
export async function tempDir(prefix: string): Promise<string> {
  const base = process.env.VOLUME_TEST_TMPDIR || join(__dirname, '../../../.data/test-tmp');
  await mkdir(base, { recursive: true });
  return mkdtemp(join(base, prefix));
}

export async function sameContent(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([readFile(a), readFile(b)]);
  return x.equals(y);
}

/** One framed record, as the protocol puts it on the wire. */
export function record(offset: number, data: Buffer): Buffer {
  const header = Buffer.alloc(12);
  header.writeBigUInt64BE(BigInt(offset), 0);
  header.writeUInt32BE(data.length, 8);
  return Buffer.concat([header, data]);
}

export interface Answer {
  status: number;
  body: { durableThrough?: number; error?: string };
}

/** A plain (not upgraded) answer of the data server: its status and JSON body. */
function answerOf(res: import('node:http').IncomingMessage): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => (text += chunk));
    res.on('error', reject);
    res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : {} }));
  });
}

/** A raw PUT, body sent in the given pieces, on a fresh connection. */
export function put(url: string, headers: Record<string, string>, pieces: Buffer[]): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'PUT', agent: false, headers });
    req.on('error', reject);
    req.on('response', (res) => answerOf(res).then(resolve, reject));
    for (const piece of pieces) req.write(piece);
    req.end();
  });
}

/** The finish mark of a copy stream at `offset`. */
export function finishMark(offset: number): Buffer {
  const header = Buffer.alloc(12);
  header.writeBigUInt64BE(BigInt(offset), 0);
  header.writeUInt32BE(0xffff_ffff, 8);
  return header;
}

export interface RawStream {
  socket: import('node:net').Socket;
  /** The JSON lines the server has sent so far. */
  answers: Record<string, unknown>[];
  /** Resolves with the answers once the server has ended the connection. */
  ended: Promise<Record<string, unknown>[]>;
}

/**
 * Opens a copy stream by hand: resolves with the socket after the 101, or with the refusal
 * (status and JSON body) when the server answers otherwise.
 */
export function openStream(
  url: string,
  headers: Record<string, string>,
  protocol = 'volume-copy-stream/1',
): Promise<RawStream | Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'PUT', agent: false, headers: { ...headers, connection: 'upgrade', upgrade: protocol } });
    req.on('error', reject);
    req.on('response', (res) => answerOf(res).then(resolve, reject));
    req.on('upgrade', (_res, socket) => {
      const answers: Record<string, unknown>[] = [];
      let text = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => {
        text += chunk;
        for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n')) {
          answers.push(JSON.parse(text.slice(0, nl)) as Record<string, unknown>);
          text = text.slice(nl + 1);
        }
      });
      socket.on('error', () => undefined);
      const ended = new Promise<Record<string, unknown>[]>((done) => socket.on('close', () => done(answers)));
      resolve({ socket, answers, ended });
    });
    req.end();
  });
}
