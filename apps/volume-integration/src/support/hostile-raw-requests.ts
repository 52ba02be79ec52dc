import fc from 'fast-check';
import { hostileJson, LONG, Targets } from './hostile-requests';
import { chunkedRequest } from './hostile-chunked-requests';

/** Bytes no HTTP client would send: broken request lines, framing and headers, for a raw socket. */
export interface RawRequest {
  method: string;
  bytes: Buffer;
  /**
   * The client ends its side (a half-close) as soon as the bytes are sent, not only when it has
   * waited for an answer in vain: a request the half-close cuts short is refused, any other answered.
   */
  halfClose?: boolean;
}

const RAW_METHODS = fc.constantFrom('GET', 'GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'CONNECT', 'PRI', 'get', 'G\0T', '', '\u00ff', LONG(100));
const RAW_VERSIONS = fc.constantFrom('HTTP/1.1', 'HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/0.9', 'HTTP/1.1 x', 'http/1.1', '', 'HTTP/1.10', 'HTTP/x');

function rawTarget(targets: Targets): fc.Arbitrary<string> {
  const p = targets.project;
  return fc.oneof(
    fc.constantFrom('/', '/v3/', `/v3/${p}/volumes`, `/v3/${p}/volumes/${targets.keptVolumeIds[0]}`, `/v3/${p}/types/${targets.typeId}`),
    fc.constantFrom('*', 'http://127.0.0.1/v3/', '127.0.0.1:443', '/v3/volumes?x=\0', '/%', 'no-slash', '/a b', '/\x7f', '/\u00ff', ''),
    fc.constantFrom(`/${LONG(20_000)}`, `/v3/${p}/volumes/${LONG(9000)}`, `/v3/${p}/volumes?name=${LONG(16_000)}`),
    fc.string({ unit: 'binary-ascii', maxLength: 30 }),
  );
}

function rawHeaderLines(targets: Targets): fc.Arbitrary<string[]> {
  const line = fc.oneof(
    fc.constantFrom(`X-Auth-Token: admin:${targets.project}`, 'Host: 127.0.0.1', 'Content-Type: application/json', 'X-Roles: admin'),
    fc.constantFrom('Connection: keep-alive', 'Connection: close', 'Expect: 100-continue', 'Connection: Upgrade', 'Upgrade: h2c'),
    fc.constantFrom('Transfer-Encoding: chunked', 'Transfer-Encoding: gzip, chunked', 'Transfer-Encoding: identity', 'Content-Length: 0'),
    fc.constantFrom('Content-Length: -1', 'Content-Length: abc', 'Content-Length: 1, 2', `Content-Length: ${'9'.repeat(20)}`, 'Host:'),
    fc.constantFrom('Bad Header', ': no-name', 'X-Nul: a\0b', 'X-Bare-CR: a\rb', ' folded: continuation', `X-Big: ${LONG(20_000)}`),
    fc.constantFrom('OpenStack-API-Version: volume 3.72', 'OpenStack-API-Version: volume 9.9', 'X-Auth-Token: admin:' + LONG(300)),
    fc.tuple(fc.string({ unit: 'binary-ascii', maxLength: 20 }), fc.string({ unit: 'binary', maxLength: 40 })).map(([n, v]) => `${n}: ${v}`),
  );
  return fc.oneof(
    { weight: 9, arbitrary: fc.array(line, { maxLength: 8 }) },
    { weight: 1, arbitrary: fc.constant(Array.from({ length: 3000 }, (_, i) => `X-H${i}: v`)) },
  );
}

function rawBody(targets: Targets): fc.Arbitrary<string> {
  const json = hostileJson(targets).map((v) => JSON.stringify(v) ?? 'null');
  return fc.oneof(fc.constant(''), json, fc.constantFrom('5\r\nhello\r\n0\r\n\r\n', 'zz\r\n', '0\r\n\r\nGARBAGE / HTTP/1.1\r\n\r\n'));
}

/** Mostly requests broken all over; the rest well formed up to a chunked body framed badly. */
export function rawRequest(targets: Targets): fc.Arbitrary<RawRequest> {
  return fc.oneof({ weight: 3, arbitrary: brokenRequest(targets) }, { weight: 1, arbitrary: chunkedRequest(targets) });
}

/**
 * A request line, header lines and a body; the body's Content-Length is right, wrong or absent, and
 * the line ends are CRLF, bare LF or bare CR.
 */
function brokenRequest(targets: Targets): fc.Arbitrary<RawRequest> {
  return fc
    .record({
      method: RAW_METHODS,
      target: rawTarget(targets),
      version: RAW_VERSIONS,
      eol: fc.constantFrom('\r\n', '\r\n', '\r\n', '\n', '\r'),
      lines: rawHeaderLines(targets),
      body: rawBody(targets),
      length: fc.constantFrom('right', 'right', 'none'),
    })
    .map(({ method, target, version, eol, lines, body, length }) => {
      const framing = length === 'right' && body ? [`Content-Length: ${Buffer.byteLength(body)}`] : [];
      const head = [`${method} ${target} ${version}`, ...lines, ...framing].join(eol);
      return { method, bytes: Buffer.concat([Buffer.from(`${head}${eol}${eol}`, 'latin1'), Buffer.from(body)]) };
    });
}
