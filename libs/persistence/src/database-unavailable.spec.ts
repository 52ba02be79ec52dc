import { QueryFailedError } from 'typeorm';
import { isDatabaseUnavailable } from './database-unavailable';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });
const failedQuery = (driverError: Error) => new QueryFailedError('SELECT 1', [], driverError);

describe('isDatabaseUnavailable', () => {
  it.each([
    ['a refused connection', withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')],
    ['every address refused', Object.assign(new AggregateError([withCode('refused', 'ECONNREFUSED')], ''), { code: 'ECONNREFUSED' })],
    ['a socket closed under a query', failedQuery(new Error('Connection terminated unexpectedly'))],
    ['a connect over the pool timeout', new Error('Connection terminated due to connection timeout', { cause: new Error('timeout expired') })],
    ['no client free in time', new Error('timeout exceeded when trying to connect')],
    ['a fast shutdown ending the session', failedQuery(withCode('terminating connection due to administrator command', '57P01'))],
    ['a server starting up', withCode('the database system is starting up', '57P03')],
    ['a connection exception', failedQuery(withCode('connection failure', '08006'))],
  ])('when %s, then the database is unavailable', (_what, err) => {
    expect(isDatabaseUnavailable(err)).toBe(true);
  });

  it.each([
    ['a bad value', failedQuery(withCode('invalid input syntax for type uuid', '22P02'))],
    ['a unique violation', failedQuery(withCode('duplicate key value', '23505'))],
    ['a query cancelled by statement_timeout', failedQuery(withCode('canceling statement due to statement timeout', '57014'))],
    ['a bug', new TypeError('x is undefined')],
    ['not an error', 'ECONNREFUSED'],
  ])('when %s, then it is not an outage', (_what, err) => {
    expect(isDatabaseUnavailable(err)).toBe(false);
  });

  it('when passed as a callback that hands it a second argument (an attempt number), then a wrapped outage is still found', () => {
    const retryable: (err: unknown, attempt: number) => boolean = isDatabaseUnavailable;
    const wrapped = failedQuery(new Error('Connection terminated unexpectedly', { cause: withCode('read ECONNRESET', 'ECONNRESET') }));
    expect(retryable(wrapped, 5)).toBe(true);
    expect(retryable(withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'), 30)).toBe(true);
  });
});
