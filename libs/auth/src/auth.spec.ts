import { CodedError, ErrorCode } from '@volume/contracts';
import { callerFor, MAX_ID_LENGTH } from './auth';

function refusal(strategy: 'noauth' | 'keystone', headers: Record<string, string>): string | undefined {
  try {
    callerFor(strategy, headers);
    return undefined;
  } catch (err) {
    return (err as CodedError).code;
  }
}

describe('callerFor', () => {
  const id = (n: number) => 'a'.repeat(n);

  it(`when the user and project ids are ${MAX_ID_LENGTH} characters, then the caller is accepted`, () => {
    expect(callerFor('noauth', { 'x-auth-token': `${id(MAX_ID_LENGTH)}:${id(MAX_ID_LENGTH)}` }).projectId).toBe(id(MAX_ID_LENGTH));
  });

  it.each([
    ['noauth', 'a project id', { 'x-auth-token': `admin:${id(MAX_ID_LENGTH + 1)}` }],
    ['noauth', 'a user id (and so the project it defaults to)', { 'x-auth-token': id(MAX_ID_LENGTH + 1) }],
    ['keystone', 'a project id', { 'x-user-id': 'u', 'x-project-id': id(MAX_ID_LENGTH + 1) }],
    ['keystone', 'a user id', { 'x-user-id': id(MAX_ID_LENGTH + 1), 'x-project-id': 'p' }],
  ] as const)('when %s names %s longer than any column holds, then 401: no credential names it', (strategy, _what, headers) => {
    expect(refusal(strategy, headers)).toBe(ErrorCode.Unauthorized);
  });
});
