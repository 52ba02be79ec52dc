import { CodedError, ErrorCode } from '@volume/contracts';
import { callerFor, MAX_ID_LENGTH } from './auth';

function refusal(headers: Record<string, string>): string | undefined {
  try {
    callerFor('noauth', headers);
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
    ['a project id', { 'x-auth-token': `admin:${id(MAX_ID_LENGTH + 1)}` }],
    ['a user id (and so the project it defaults to)', { 'x-auth-token': id(MAX_ID_LENGTH + 1) }],
  ] as const)('when a noauth token names %s longer than any column holds, then 401: no credential names it', (_what, headers) => {
    expect(refusal(headers)).toBe(ErrorCode.Unauthorized);
  });

  it('when identity headers come without a token, then 401: no header but the token names a caller', () => {
    expect(refusal({ 'x-user-id': 'admin', 'x-project-id': 'p', 'x-roles': 'admin' })).toBe(ErrorCode.Unauthorized);
  });
});
