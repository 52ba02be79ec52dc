import fc from 'fast-check';
import type { RawRequest } from './hostile-raw-requests';
import { hostileJson, LONG, Targets } from './hostile-requests';

const ZERO_CHUNK = '0\r\n\r\n';

/**
 * Ways a chunked body goes wrong: `end` is what follows the chunks. Without the zero chunk the
 * server cannot know the body is over, and must time out or see the client's half-close.
 */
const FRAMINGS: Record<string, { frame: (pieces: string[]) => string; end: string }> = {
  whole: { frame: (pieces) => pieces.map((piece) => chunk(piece)).join(''), end: ZERO_CHUNK },
  'an extension and a trailer': { frame: (pieces) => pieces.map((piece) => chunk(piece, ';ext=1')).join(''), end: '0\r\nX-Trailer: 1\r\n\r\n' },
  'a trailer that never ends': { frame: (pieces) => pieces.map((piece) => chunk(piece)).join(''), end: '0\r\nX-Trailer: 1\r\n' },
  'no zero chunk': { frame: (pieces) => pieces.map((piece) => chunk(piece)).join(''), end: '' },
  'cut inside a chunk': { frame: (pieces) => `${sizeOf(pieces.join(''))}\r\n${pieces.join('').slice(0, -1)}`, end: '' },
  'cut inside a size line': { frame: (pieces) => `${pieces.map((piece) => chunk(piece)).join('')}1`, end: '' },
  'a size that is not hex': { frame: (pieces) => `zz\r\n${pieces.join('')}\r\n`, end: ZERO_CHUNK },
  'a size that overflows': { frame: (pieces) => `${'f'.repeat(40)}\r\n${pieces.join('')}\r\n`, end: ZERO_CHUNK },
  'a negative size': { frame: (pieces) => `-1\r\n${pieces.join('')}\r\n`, end: ZERO_CHUNK },
  'a size too small': { frame: (pieces) => `1\r\n${pieces.join('')}x\r\n`, end: ZERO_CHUNK },
  'a size too large': { frame: (pieces) => `${sizeOf(`${pieces.join('')}xx`)}\r\n${pieces.join('')}\r\n`, end: ZERO_CHUNK },
  'a chunk without its CRLF': { frame: (pieces) => `${sizeOf(pieces.join(''))}\r\n${pieces.join('')}`, end: ZERO_CHUNK },
};

/** Transfer-Encoding and Content-Length lines: chunked alone, or beside what makes the framing ambiguous. */
const HEADERS = fc.constantFrom(
  ['Transfer-Encoding: chunked'],
  ['Transfer-Encoding: chunked'],
  ['Transfer-Encoding: chunked', 'Content-Length: 5'],
  ['Content-Length: 5', 'Transfer-Encoding: chunked'],
  ['Transfer-Encoding: chunked', 'Transfer-Encoding: chunked'],
  ['Transfer-Encoding: chunked, gzip'],
  ['Transfer-Encoding: gzip, chunked'],
  ['Transfer-Encoding: CHUNKED'],
  ['Transfer-Encoding:  chunked '],
);

function sizeOf(data: string): string {
  return Buffer.byteLength(data).toString(16);
}

function chunk(data: string, extension = ''): string {
  return `${sizeOf(data)}${extension}\r\n${data}\r\n`;
}

/** Splits `text` in up to four pieces, where `cuts` say. */
function split(text: string, cuts: number[]): string[] {
  const at = [...new Set(cuts.map((c) => Math.floor(c * text.length)))].sort((a, b) => a - b);
  return [0, ...at].map((start, i) => text.slice(start, at[i] ?? text.length)).filter((p) => p.length > 0);
}

/**
 * A request that is well formed up to its body, which comes chunked and framed badly (or well): cut
 * short, with sizes that lie, beside a Content-Length, over the body limit; the client half-closes
 * after it or not. Every one must be answered: the framing errors at once, a body cut short when the
 * client half-closes (or gives up and does).
 */
export function chunkedRequest(targets: Targets): fc.Arbitrary<RawRequest> {
  const p = targets.project;
  const route = fc.constantFrom(
    ['POST', `/v3/${p}/volumes`],
    ['PUT', `/v3/${p}/volumes/${targets.volumeId}`],
    ['POST', `/v3/${p}/volumes/${targets.volumeId}/action`],
    ['POST', `/v3/${p}/attachments`],
    ['PUT', `/v3/${p}/attachments/not-a-uuid`],
    ['POST', `/v3/${p}/types/${targets.typeId}/extra_specs`],
    ['DELETE', `/v3/${p}/volumes/not-a-uuid`],
    ['GET', `/v3/${p}/volumes`],
  );
  const body = fc.oneof(
    { weight: 4, arbitrary: hostileJson(targets).map((v) => JSON.stringify(v) ?? 'null') },
    { weight: 1, arbitrary: fc.constant(`{"volume": {"name": "${LONG(120_000)}"}}`) },
  );
  return fc
    .record({
      route,
      headers: HEADERS,
      body,
      cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 3 }),
      framing: fc.constantFrom(...Object.keys(FRAMINGS)),
      halfClose: fc.boolean(),
    })
    .map(({ route: [method, target], headers, body: text, cuts, framing, halfClose }) => {
      const { frame, end } = FRAMINGS[framing];
      const head = [`${method} ${target} HTTP/1.1`, 'Host: 127.0.0.1', `X-Auth-Token: admin:${p}`, 'Content-Type: application/json', ...headers];
      const pieces = split(text, cuts);
      const bytes = `${head.join('\r\n')}\r\n\r\n${frame(pieces.length ? pieces : [' '])}${end}`;
      return { method, bytes: Buffer.from(bytes), halfClose };
    });
}
