import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { faultBody } from '@volume/contracts';
import { RawRequest } from './hostile-raw-requests';
import { HostileRequest } from './hostile-requests';

/** What came back for one request: an answer, or how the connection failed instead. */
export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

export type Outcome = { answer: Answer } | { dropped: string };

/** Cinder's router answers an unknown path in plain text; every other error is a JSON fault. */
const ROUTER_404 = '404 Not Found\n\nThe resource could not be found.\n\n   ';

/** Why an answer is not one Cinder could give, or undefined when it is. */
export function notACinderAnswer(method: string, answer: Answer): string | undefined {
  const { status, headers, text } = answer;
  if (status >= 500) return `${status} ${text.slice(0, 300)}`;
  if (!/^req-[0-9a-f-]{36}$/.test(String(headers['x-openstack-request-id']))) return `${status} without a request id`;
  if (status < 400 || method === 'HEAD') return undefined;
  if (status === 404 && String(headers['content-type']).startsWith('text/plain') && text === ROUTER_404) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return `${status} with a body that is not JSON: ${text.slice(0, 300)}`;
  }
  const [name] = Object.keys(faultBody(status, ''));
  const fault = (body as Record<string, { code?: unknown; message?: unknown }>)[name];
  const keys = Object.keys(body as object);
  if (keys.length !== 1 || typeof fault?.message !== 'string' || fault.code !== status) {
    return `${status} with a body that is not a Cinder fault named ${name}: ${text.slice(0, 300)}`;
  }
  return undefined;
}

/** One request over a keep-alive connection, as a client library sends it. */
export function send(port: number, agent: Agent, r: HostileRequest): Promise<Outcome> {
  return new Promise((resolve) => {
    const headers: Record<string, string | number> = { ...r.headers };
    if (r.body && !r.chunked) headers['content-length'] = r.body.length;
    const req = request({ host: '127.0.0.1', port, method: r.method, path: r.path, headers, agent, timeout: 20_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ answer: { status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString() } }));
      res.on('error', (err) => resolve({ dropped: `response: ${err.message}` }));
    });
    req.on('error', (err) => resolve({ dropped: err.message }));
    req.on('timeout', () => req.destroy(new Error('no answer within 20 s')));
    if (r.body && r.chunked) {
      const half = Math.floor(r.body.length / 2);
      req.write(r.body.subarray(0, half));
      req.end(r.body.subarray(half));
    } else {
      req.end(r.body);
    }
  });
}

/** The first complete final (non-1xx) response in the bytes, if they hold one. */
export function parseResponse(bytes: Buffer, method: string): Answer | undefined {
  let rest = bytes;
  for (;;) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) return undefined;
    const [statusLine, ...lines] = rest.subarray(0, end).toString('latin1').split('\r\n');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
    const headers: Record<string, string> = {};
    for (const l of lines) {
      const i = l.indexOf(':');
      headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
    }
    const body = rest.subarray(end + 4);
    if (status >= 100 && status < 200) {
      rest = body;
      continue;
    }
    const length = method === 'HEAD' ? 0 : Number(headers['content-length'] ?? NaN);
    if (Number.isNaN(length) || body.length < length) return undefined;
    return { status, headers, text: body.subarray(0, length).toString() };
  }
}

/** How long a raw request may go unanswered before the client stops sending (ends its side). */
const RAW_WAIT_MS = 1_500;
/** How long the server then has to answer: a request cut short is an error it must report. */
const RAW_FINAL_WAIT_MS = 5_000;

/** Raw bytes on a new connection; the first response is the outcome. */
export function sendRaw(port: number, r: RawRequest): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let settled = false;
    let halfClosed = false;
    const finish = (outcome: Outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(halfClose);
      clearTimeout(giveUp);
      socket.destroy();
      resolve(outcome);
    };
    const verdict = (why: string) => {
      const answer = parseResponse(Buffer.concat(chunks), r.method);
      const after = `${Buffer.concat(chunks).length} bytes${halfClosed ? ', the client having half-closed' : ''}`;
      finish(answer ? { answer } : { dropped: `${why} after ${after}` });
    };
    const end = (bytes: Buffer = Buffer.alloc(0)) => {
      halfClosed = true;
      socket.end(bytes);
    };
    const halfClose = setTimeout(() => end(), RAW_WAIT_MS);
    const giveUp = setTimeout(() => verdict('no answer in time'), RAW_WAIT_MS + RAW_FINAL_WAIT_MS);
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      const answer = parseResponse(Buffer.concat(chunks), r.method);
      if (answer) finish({ answer });
    });
    socket.on('error', (err) => verdict(err.message));
    socket.on('close', () => verdict('closed'));
    if (r.halfClose) end(r.bytes);
    else socket.write(r.bytes);
  });
}
