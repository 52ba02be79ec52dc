import { EventEmitter } from 'node:events';
import { Socket } from 'node:net';
import { answerClientError, clientErrorFault } from './transport-errors';

/** The parts of a socket the handler touches, recording what is written. */
function fakeSocket(inFlight?: EventEmitter & { writableFinished: boolean; req: { complete: boolean } }) {
  const socket = Object.assign(new EventEmitter(), {
    writable: true,
    written: [] as string[],
    destroyed: false,
    _httpMessage: inFlight ?? null,
    end(data: string) {
      socket.written.push(data);
      socket.writable = false;
    },
    destroy() {
      socket.destroyed = true;
    },
  });
  return socket;
}

const parseError = (code: string, packet = 'GET / HTTP/1.1\r\n', bytesParsed = packet.length) =>
  Object.assign(new Error(code), { code, rawPacket: Buffer.from(packet, 'latin1'), bytesParsed });

describe('clientErrorFault', () => {
  it('when the header limit is hit inside the request line, then 414 URI too long', () => {
    expect(clientErrorFault(parseError('HPE_HEADER_OVERFLOW', `GET /${'x'.repeat(20_000)}`, 16_384)).status).toBe(414);
    expect(clientErrorFault(parseError('HPE_HEADER_OVERFLOW', `GET /${'x'.repeat(20_000)} HTTP/1.1\r\n`, 16_384)).status).toBe(414);
  });

  it('when the header limit is hit after the request line, then 431 headers too large', () => {
    expect(clientErrorFault(parseError('HPE_HEADER_OVERFLOW', `GET / HTTP/1.1\r\nX: ${'y'.repeat(20_000)}`, 16_384))).toEqual({
      status: 431,
      message: 'The request header fields were too large',
    });
  });

  it("when the request is not received in time, then 408; any other parse error, webob's generic 400", () => {
    expect(clientErrorFault(parseError('ERR_HTTP_REQUEST_TIMEOUT')).status).toBe(408);
    expect(clientErrorFault(parseError('HPE_INVALID_METHOD'))).toEqual({
      status: 400,
      message: 'The server could not comply with the request since it is either malformed or otherwise incorrect.',
    });
  });
});

describe('answerClientError', () => {
  it('when a request cannot be parsed, then a Cinder fault with a request id is written once and the socket ended', () => {
    const socket = fakeSocket();
    answerClientError(parseError('HPE_INVALID_METHOD'), socket as unknown as Socket);
    answerClientError(parseError('HPE_INVALID_METHOD'), socket as unknown as Socket);
    expect(socket.written).toHaveLength(1);
    const [head, body] = socket.written[0].split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(head).toMatch(/\r\nx-openstack-request-id: req-[0-9a-f-]{36}\r\n/);
    expect(head).toContain(`Content-Length: ${Buffer.byteLength(body)}`);
    expect(JSON.parse(body)).toEqual({ badRequest: { code: 400, message: expect.any(String) } });
    expect(socket.destroyed).toBe(false);
  });

  it('when the refused request is a HEAD, then the headers go without the body', () => {
    const socket = fakeSocket();
    answerClientError(parseError('HPE_INVALID_URL', 'HEAD /\x7f HTTP/1.1\r\n'), socket as unknown as Socket);
    expect(socket.written[0].endsWith('\r\n\r\n')).toBe(true);
  });

  it('when the socket can no longer be written, then it is destroyed and nothing is written', () => {
    const socket = fakeSocket();
    socket.writable = false;
    answerClientError(parseError('HPE_INVALID_METHOD'), socket as unknown as Socket);
    expect([socket.written, socket.destroyed]).toEqual([[], true]);
  });

  it('when an earlier pipelined request is still being answered, then the fault waits until that answer is written', async () => {
    const inFlight = Object.assign(new EventEmitter(), { writableFinished: false, req: { complete: true } });
    const socket = fakeSocket(inFlight);
    answerClientError(parseError('HPE_INVALID_METHOD'), socket as unknown as Socket);
    expect(socket.written).toEqual([]);
    socket._httpMessage = null;
    inFlight.emit('finish');
    await new Promise((resolve) => setImmediate(resolve));
    expect(socket.written).toHaveLength(1);
  });

  it('when the request in flight is the one whose body broke, then the fault is written at once: it gets no other answer', () => {
    const socket = fakeSocket(Object.assign(new EventEmitter(), { writableFinished: false, req: { complete: false } }));
    answerClientError(parseError('HPE_INVALID_CHUNK_SIZE'), socket as unknown as Socket);
    expect(socket.written).toHaveLength(1);
  });
});
