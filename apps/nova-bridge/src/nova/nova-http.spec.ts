import { ErrorCode } from '@volume/contracts';
import { describeFetchError, faultMessage, novaError } from './nova-http';

describe('Nova answers as NOVA.* errors', () => {
  it('when the body is a Nova fault, then its message is the first key’s message', () => {
    expect(faultMessage('{"conflictingRequest": {"code": 409, "message": "volume v is not migrating"}}')).toBe('volume v is not migrating');
    expect(faultMessage('{"error": {"code": 401, "title": "Unauthorized", "message": "The request you have made requires authentication."}}')).toBe(
      'The request you have made requires authentication.',
    );
  });

  it('when the body is not a fault, then plain text is kept (trimmed) and JSON without a message gives none', () => {
    expect(faultMessage('  <html>Bad Gateway</html>\n')).toBe('<html>Bad Gateway</html>');
    expect(faultMessage('')).toBeUndefined();
    expect(faultMessage('{"x": 1}')).toBeUndefined();
    expect(faultMessage('[]')).toBeUndefined();
  });

  it.each([
    [400, ErrorCode.ComputeBadRequest],
    [401, ErrorCode.ComputeForbidden],
    [403, ErrorCode.ComputeForbidden],
    [404, ErrorCode.ComputeNotFound],
    [409, ErrorCode.ComputeConflict],
    [500, ErrorCode.ComputeUnavailable],
    [502, ErrorCode.ComputeUnavailable],
    [503, ErrorCode.ComputeUnavailable],
    [429, ErrorCode.ComputeUnavailable],
  ])('when Nova answers %d, then the code is %s and the message has the status and Nova’s message', (status, code) => {
    const err = novaError(status, '{"badRequest": {"code": 0, "message": "why"}}', 'the swap');
    expect(err.code).toBe(code);
    expect(err.message).toBe(`Nova answered ${status} to the swap: why`);
  });

  it('when a fetch fails, then the reason names the timeout, the stop or the socket error', () => {
    expect(describeFetchError(Object.assign(new Error('x'), { name: 'TimeoutError' }))).toMatch(/NOVA_TIMEOUT_S/);
    expect(describeFetchError(Object.assign(new Error('x'), { name: 'AbortError' }))).toMatch(/stopping/);
    expect(describeFetchError(new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }) }))).toBe(
      'ECONNREFUSED (connect ECONNREFUSED 127.0.0.1:9)',
    );
  });
});
