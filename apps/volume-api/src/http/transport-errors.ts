import { IncomingMessage, ServerResponse, STATUS_CODES } from 'node:http';
import { Socket } from 'node:net';
import { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { faultBody } from '@volume/contracts';
import { Fault, GENERIC_400, ROUTER_NOT_FOUND_TEXT, sendFault, toFault, transportFault } from './fault';
import { genReqId, requestIdHeaders } from './request-id';

/** FaultWrapper's answer to a UnicodeDecodeError, which is what Cinder makes of an undecodable URL. */
export const UNDECODABLE =
  'Error decoding your request. Either the URL or the request body contained characters that could not be decoded by Cinder.';

/** Fastify's refusals of a URL it cannot route: an undecodable path, a path segment over the length limit. */
export function answerFrameworkError(err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  const fault: Fault = err.code === 'FST_ERR_BAD_URL' ? { status: 400, message: UNDECODABLE } : toFault(err);
  if (fault.status >= 500) req.log.error({ err }, 'request failed');
  sendFault(reply.headers(requestIdHeaders(req.id)), fault);
}

/** A response written on the socket itself; to a HEAD, the headers alone, as Node answers a HEAD. */
function rawResponse(status: number, contentType: string, body: string, head = false): string {
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`,
    ...Object.entries(requestIdHeaders(genReqId())).map(([name, value]) => `${name}: ${value}`),
    `Content-Type: ${contentType}`,
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
  ];
  return `${lines.join('\r\n')}\r\n\r\n${head ? '' : body}`;
}

type ClientError = Error & { code?: string; rawPacket?: unknown; bytesParsed?: number };

/** The bytes the parser was reading when it failed (the request's start, unless it came in pieces). */
function packetText(err: ClientError): string {
  return Buffer.isBuffer(err.rawPacket) ? err.rawPacket.toString('latin1') : '';
}

/**
 * Which refusal a parse error is. Node's parser counts the request line against the header size
 * limit: an overflow before the end of the request line is a URI too long.
 */
export function clientErrorFault(err: ClientError): Fault {
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    const lineEnd = packetText(err).indexOf('\n');
    return transportFault(lineEnd < 0 || lineEnd > (err.bytesParsed ?? 0) ? 414 : 431);
  }
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return transportFault(408);
  return { status: 400, message: GENERIC_400 };
}

type HttpSocket = Socket & { _httpMessage?: ServerResponse | null };

/** Sockets already answered: the parser reports every later chunk of the same bad request again. */
const answered = new WeakSet<Socket>();

/** Long enough for the client to read the answer; a client that never closes is not kept. */
const LINGER_MS = 5_000;

/**
 * Runs `then` once the answer to an earlier pipelined request has been written, so that the two do
 * not interleave. A request whose body is still arriving is the broken one: it gets no other answer.
 */
function whenIdle(socket: HttpSocket, then: () => void): void {
  const inFlight = socket._httpMessage;
  if (!inFlight || inFlight.writableFinished || !inFlight.req.complete) return then();
  inFlight.once('finish', () => setImmediate(() => whenIdle(socket, then)));
}

/**
 * Node's HTTP parser refuses some requests before Fastify sees them (a malformed request line or
 * header, headers or URI over the size limit): there is no request or reply, so the fault is written
 * on the socket, as Node's default does, but as Cinder's fault body. The socket is ended, not
 * destroyed: a reset could discard the answer before the client reads it.
 */
export function answerClientError(err: ClientError, socket: Socket): void {
  if (answered.has(socket)) return;
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  answered.add(socket);
  const { status, message } = clientErrorFault(err);
  whenIdle(socket as HttpSocket, () => {
    if (!socket.writable) return;
    const head = packetText(err).startsWith('HEAD ');
    socket.end(rawResponse(status, 'application/json', JSON.stringify(faultBody(status, message)), head));
    setTimeout(() => socket.destroy(), LINGER_MS).unref();
  });
}

/**
 * CONNECT never reaches a route: Node hands it to this event, and without a listener drops the
 * connection. Cinder's router answers a method it has no route for with its plain-text 404.
 */
export function answerConnect(_req: IncomingMessage, socket: Socket): void {
  socket.end(rawResponse(404, 'text/plain; charset=UTF-8', ROUTER_NOT_FOUND_TEXT));
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}
