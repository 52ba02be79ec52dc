import { connect, Socket } from 'node:net';
import { ADMIN, PROJECT, TestStack } from '@volume/testing-stack';
import { Answer, notACinderAnswer, parseResponse } from './support/hostile-client';

/**
 * Requests that come slowly, stop halfway or frame their bodies badly, on raw sockets against the
 * real apps: each ends in a Cinder fault (an idle connection, in a clean close) within the configured
 * bounds, never a hang, a 5xx or another server's body. The timeouts are short, for a spec of seconds.
 */
const HEADERS_TIMEOUT_MS = 600;
const REQUEST_TIMEOUT_MS = 1_200;
const KEEP_ALIVE_TIMEOUT_MS = 1_000;
/** Node looks for expired requests every quarter of the headers timeout; the rest is scheduling. */
const SLACK_MS = HEADERS_TIMEOUT_MS / 4 + 400;
/** Node keeps an idle connection this much past its keep-alive timeout, against a client's race. */
const KEEP_ALIVE_BUFFER_MS = 1_000;
/** Far past every bound: a connection still open then is held for good. */
const HANG_MS = 6_000;

const V3 = `/v3/${PROJECT}`;
const HEAD = (method: string, path: string, ...lines: string[]) =>
  [`${method} ${V3}${path} HTTP/1.1`, 'Host: 127.0.0.1', `X-Auth-Token: ${ADMIN['x-auth-token']}`, 'Content-Type: application/json', ...lines, '', ''].join('\r\n');
const CHUNKED = (path = '/volumes') => HEAD('POST', path, 'Transfer-Encoding: chunked');
const chunk = (data: string) => `${Buffer.byteLength(data).toString(16)}\r\n${data}\r\n`;
const BODY = '{"volume": {"size": 1, "name": "slow"}}';

/** What the server did with one connection: what it wrote, and when and how it ended it. */
interface Exchange {
  answer?: Answer;
  bytes: number;
  closedAfterMs?: number;
  error?: string;
}

/**
 * Opens a connection, lets `client` write on it (`socket.end()` is a half-close) and waits until
 * the server closes it, or HANG_MS. `every` writes `drip` that often until the server closes.
 */
function converse(port: number, client: (socket: Socket) => void, drip?: { every: number; data: string }): Promise<Exchange> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let error: string | undefined;
    const dripping = drip && setInterval(() => socket.writable && socket.write(drip.data), drip.every);
    const done = (closed: boolean) => {
      clearTimeout(hang);
      clearInterval(dripping);
      socket.destroy();
      const bytes = Buffer.concat(chunks);
      resolve({ answer: parseResponse(bytes, 'POST'), bytes: bytes.length, closedAfterMs: closed ? Date.now() - started : undefined, error });
    };
    const hang = setTimeout(() => done(false), HANG_MS);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', (err) => (error = err.message));
    socket.on('close', () => done(true));
    socket.on('connect', () => client(socket));
  });
}

/** The server answered with Cinder's fault of `status`, and closed the connection. */
function expectFault(exchange: Exchange, status: number): void {
  expect(exchange.closedAfterMs).toBeDefined();
  if (!exchange.answer) throw new Error(`${exchange.bytes} bytes that are no response (${exchange.error ?? 'no error'})`);
  expect(notACinderAnswer('POST', exchange.answer)).toBeUndefined();
  expect(exchange.answer.status).toBe(status);
}

describe('slow, stalled and badly framed requests (raw sockets, real apps, PostgreSQL, NATS)', () => {
  let stack: TestStack;
  let port: number;

  beforeAll(async () => {
    stack = await TestStack.start({
      apiEnv: {
        HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
        HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
        HTTP_KEEP_ALIVE_TIMEOUT_MS: String(KEEP_ALIVE_TIMEOUT_MS),
        HTTP_CONNECTION_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS * 2),
        // An event stream's heartbeat must come before a silent connection is cut (a start-up check).
        MIGRATION_EVENTS_HEARTBEAT_S: '1',
      },
    });
    await stack.api.app.listen(0, '127.0.0.1');
    port = (stack.api.app.getHttpServer().address() as { port: number }).port;
  });

  afterAll(async () => {
    // A socket a test left open (a drip, a half-close) must not start a request, and with it a
    // database query, while the stack closes: Jest would tear the environment down under it.
    (stack?.api.app.getHttpServer() as import('node:http').Server | undefined)?.closeAllConnections();
    await stack?.stop();
  });

  describe('slowloris: a request that does not arrive in time', () => {
    it.each<[string, (s: Socket) => void, { every: number; data: string } | undefined]>([
      ['a connection that sends nothing', () => undefined, undefined],
      ['headers that stop before their end', (s) => s.write(`POST ${V3}/volumes HTTP/1.1\r\nHost: 127.0.0.1\r\n`), undefined],
      ['headers that trickle, a line every 100 ms', (s) => s.write(`POST ${V3}/volumes HTTP/1.1\r\n`), { every: 100, data: 'X-Slow: y\r\n' }],
    ])('when %s, then 408 requestTimeout within the headers timeout, and the connection closes', async (_what, client, drip) => {
      const exchange = await converse(port, client, drip);
      expectFault(exchange, 408);
      expect(exchange.answer?.text && JSON.parse(exchange.answer.text)).toEqual({
        computeFault: { code: 408, message: 'The server has waited too long for the request to be sent by the client.' },
      });
      expect(exchange.closedAfterMs).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 50);
      expect(exchange.closedAfterMs).toBeLessThan(HEADERS_TIMEOUT_MS + SLACK_MS);
    });

    it.each<[string, (s: Socket) => void, { every: number; data: string } | undefined]>([
      ['a body that stalls', (s) => s.write(`${HEAD('POST', '/volumes', `Content-Length: ${BODY.length}`)}${BODY.slice(0, 10)}`), undefined],
      ['a body that trickles, a byte every 100 ms', (s) => s.write(HEAD('POST', '/volumes', 'Content-Length: 100000')), { every: 100, data: ' ' }],
      ['a chunked body that trickles, a chunk every 100 ms', (s) => s.write(CHUNKED()), { every: 100, data: chunk(' ') }],
      ['a chunked body that stalls inside a chunk', (s) => s.write(`${CHUNKED()}20\r\n{"volume"`), undefined],
    ])('when %s, then 408 within the request timeout, and the connection closes', async (_what, client, drip) => {
      const exchange = await converse(port, client, drip);
      expectFault(exchange, 408);
      expect(exchange.closedAfterMs).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 50);
      expect(exchange.closedAfterMs).toBeLessThan(REQUEST_TIMEOUT_MS + SLACK_MS);
    });

    it('when a body comes slowly but whole within the request timeout, then it is served', async () => {
      const pieces = [BODY.slice(0, 10), BODY.slice(10, 20), BODY.slice(20)];
      const exchange = await converse(port, (s) => {
        s.write(HEAD('POST', '/volumes', `Content-Length: ${BODY.length}`, 'Connection: close'));
        pieces.forEach((piece, i) => setTimeout(() => s.write(piece), 250 * (i + 1)));
      });
      expect(exchange.answer?.status).toBe(202);
    });

    it('when a keep-alive connection idles after its answer, then it is closed after the keep-alive timeout, without a byte more', async () => {
      let answered = 0;
      const exchange = await converse(port, (s) => {
        s.write(HEAD('GET', '/volumes'));
        s.once('data', (c: Buffer) => (answered = c.length));
      });
      expect(answered).toBeGreaterThan(0);
      expect(exchange.bytes).toBe(answered);
      expect(exchange.closedAfterMs).toBeGreaterThanOrEqual(KEEP_ALIVE_TIMEOUT_MS - 50);
      expect(exchange.closedAfterMs).toBeLessThan(KEEP_ALIVE_TIMEOUT_MS + KEEP_ALIVE_BUFFER_MS + SLACK_MS);
    });
  });

  describe('chunked bodies cut short or framed badly', () => {
    const OVER_LIMIT = chunk(`{"volume": {"name": "${'x'.repeat(120_000)}"}}`);
    it.each<[string, string, boolean, number]>([
      ['the client half-closes inside a chunk', `${CHUNKED()}20\r\n{"volume"`, true, 400],
      ['the client half-closes after a chunk, before the last', `${CHUNKED()}${chunk(BODY)}`, true, 400],
      ['the client half-closes inside a chunk size line', `${CHUNKED()}2`, true, 400],
      ['a chunk size is not hex', `${CHUNKED()}zz\r\n${BODY}\r\n0\r\n\r\n`, false, 400],
      ['a chunk size overflows', `${CHUNKED()}${'f'.repeat(40)}\r\n${BODY}\r\n0\r\n\r\n`, false, 400],
      ['a chunk is longer than its size', `${CHUNKED()}3\r\n${BODY}\r\n0\r\n\r\n`, false, 400],
      ['a chunk lacks its CRLF', `${CHUNKED()}${Buffer.byteLength(BODY).toString(16)}\r\n${BODY}0\r\n\r\n`, false, 400],
      ['a malformed chunk and a half-close', `${CHUNKED()}zz\r\n{`, true, 400],
      ['both Content-Length and Transfer-Encoding come', `${HEAD('POST', '/volumes', 'Content-Length: 5', 'Transfer-Encoding: chunked')}${chunk(BODY)}0\r\n\r\n`, false, 400],
      ['Transfer-Encoding is not chunked last', `${HEAD('POST', '/volumes', 'Transfer-Encoding: chunked, gzip')}${chunk(BODY)}0\r\n\r\n`, false, 400],
      ['Transfer-Encoding comes twice', `${HEAD('POST', '/volumes', 'Transfer-Encoding: chunked', 'Transfer-Encoding: chunked')}${chunk(BODY)}0\r\n\r\n`, false, 400],
      ['a chunked body over the limit', `${CHUNKED()}${OVER_LIMIT}0\r\n\r\n`, false, 413],
      ['a chunked body over the limit that never ends', `${CHUNKED()}${OVER_LIMIT}`, false, 413],
      ['a chunked body over the limit and a half-close', `${CHUNKED()}${OVER_LIMIT}`, true, 413],
      ['a chunked body over the limit in small chunks', `${CHUNKED()}${chunk('x'.repeat(4_096)).repeat(30)}0\r\n\r\n`, false, 413],
    ])('when %s, then a Cinder fault, never a hang', async (_what, bytes, halfClose, status) => {
      const exchange = await converse(port, (s) => (halfClose ? s.end(bytes) : s.write(bytes)));
      expectFault(exchange, status);
      expect(exchange.closedAfterMs).toBeLessThan(REQUEST_TIMEOUT_MS + SLACK_MS);
    });

    it.each([
      ['a GET', HEAD('GET', '/volumes'), 200],
      ['a chunked POST', `${CHUNKED()}${chunk(BODY)}0\r\n\r\n`, 202],
      ['a POST with a Content-Length', `${HEAD('POST', '/volumes', `Content-Length: ${BODY.length}`)}${BODY}`, 202],
    ])('when the client half-closes after %s, then it is still answered (a half-close does not end interest in the answer)', async (_what, bytes, status) => {
      const exchange = await converse(port, (s) => s.end(bytes));
      expect(exchange.answer?.status).toBe(status);
      expect(exchange.closedAfterMs).toBeLessThan(HANG_MS);
    });

    it('when the client half-closes without a byte, then the connection closes at once without one', async () => {
      const exchange = await converse(port, (s) => s.end());
      expect([exchange.bytes, exchange.closedAfterMs! < SLACK_MS]).toEqual([0, true]);
    });

    it('when a chunked body is whole and well framed, then it is served', async () => {
      const exchange = await converse(port, (s) => s.write(`${HEAD('POST', '/volumes', 'Transfer-Encoding: chunked', 'Connection: close')}${chunk(BODY.slice(0, 9))}${chunk(BODY.slice(9))}0\r\n\r\n`));
      expect(exchange.answer?.status).toBe(202);
    });
  });

  it('when the connections are over, then the API still answers', async () => {
    const reply = await stack.request('GET', `${V3}/volumes`, { headers: ADMIN });
    expect(reply.status).toBe(200);
  });
});
