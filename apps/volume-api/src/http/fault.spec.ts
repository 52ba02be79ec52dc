import { QueryFailedError } from 'typeorm';
import { CodedError, ErrorCode } from '@volume/contracts';
import { GENERIC_400, GENERIC_500, SERVICE_UNAVAILABLE, toFault, transportFault } from './fault';

function queryFailed(sqlState: string): QueryFailedError {
  return new QueryFailedError('SELECT 1', [], Object.assign(new Error('refused'), { code: sqlState }));
}

describe('transportFault', () => {
  it.each([
    [400, GENERIC_400],
    [404, 'The resource could not be found.'],
    [408, 'The server has waited too long for the request to be sent by the client.'],
    [413, 'Request is too large.'],
    [414, 'The request URI was too long for this server.'],
    [431, 'The request header fields were too large'],
  ])('when the HTTP layer refuses with %i, then that status with the text Cinder answers it with', (status, message) => {
    expect(transportFault(status)).toEqual({ status, message });
  });

  it('when the HTTP layer refuses with another 4xx, then a 400 with webob\'s generic text', () => {
    expect(transportFault(418)).toEqual({ status: 400, message: GENERIC_400 });
  });
});

describe('toFault', () => {
  it('when a coded error arrives, then its status and message', () => {
    expect(toFault(new CodedError(ErrorCode.NotFound, 'Volume x could not be found.'))).toEqual({ status: 404, message: 'Volume x could not be found.' });
  });

  it.each(['22P02', '22001', '22021', '22007'])('when PostgreSQL refuses a value as a data exception (%s), then 400: the input was bad', (sqlState) => {
    expect(toFault(queryFailed(sqlState))).toEqual({ status: 400, message: GENERIC_400 });
  });

  it.each(['42601', '23505', '40P01'])('when PostgreSQL fails otherwise (%s), then 500 without its text', (sqlState) => {
    expect(toFault(queryFailed(sqlState))).toEqual({ status: 500, message: GENERIC_500 });
  });

  it.each([
    ['refused', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['ended by a fast shutdown', queryFailed('57P01')],
    ['still starting up', Object.assign(new Error('the database system is starting up'), { code: '57P03' })],
    ['lost mid-query', new QueryFailedError('SELECT 1', [], new Error('Connection terminated unexpectedly'))],
    ['not had within the pool\'s timeout', new Error('timeout exceeded when trying to connect')],
  ])('when the database connection is %s, then 503 with webob\'s service-unavailable text', (_what, err) => {
    expect(toFault(err)).toEqual({ status: 503, message: SERVICE_UNAVAILABLE });
  });

  it("when Fastify refuses a body over the limit, then 413 with oslo's text", () => {
    const err = Object.assign(new Error('Request body is too large'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 });
    expect(toFault(err)).toEqual({ status: 413, message: 'Request is too large.' });
    expect(toFault(err)).not.toHaveProperty('retryAfter');
  });

  it('when the client goes away before its body is in, then 400 (Fastify\'s), not a database outage for its ECONNRESET', () => {
    const aborted = Object.assign(new Error('aborted'), { code: 'ECONNRESET', statusCode: 400 });
    expect(toFault(aborted)).toEqual({ status: 400, message: GENERIC_400 });
  });

  it("when a quota refuses, then 413 with its text and Cinder's QuotaError Retry-After of 0", () => {
    const message = "VolumeLimitExceeded: Maximum number of volumes allowed (1) exceeded for quota 'volumes'.";
    expect(toFault(new CodedError(ErrorCode.OverLimit, message))).toStrictEqual({ status: 413, message, retryAfter: '0' });
  });

  it('when anything else fails, then 500 without its text', () => {
    expect(toFault(new TypeError('x is undefined'))).toEqual({ status: 500, message: GENERIC_500 });
  });
});
