import { ApiFault, AuthError, ExitCode, failureOf, NotFoundError, UnsupportedError, UsageError } from './exit-codes';

describe('exit codes a script can use', () => {
  it.each([
    [new UsageError('bad'), ExitCode.Usage, 'bad'],
    [new AuthError('no'), ExitCode.Auth, 'no'],
    [new NotFoundError('gone'), ExitCode.NotFound, 'gone'],
    [new ApiFault(401, 'who?'), ExitCode.Auth, 'who?'],
    [new ApiFault(403, 'not you'), ExitCode.Auth, 'not you'],
    [new ApiFault(404, 'Volume x could not be found.'), ExitCode.NotFound, 'Volume x could not be found.'],
    [new ApiFault(400, 'Invalid host'), ExitCode.Failed, 'Invalid host'],
    [new ApiFault(503, 'busy'), ExitCode.Failed, 'busy'],
    [new UnsupportedError('cancel', '3.73', 'no'), ExitCode.Failed, 'this server does not support cancel (needs microversion 3.73): no'],
    [new TypeError("Cannot read properties of undefined (reading 'x')"), ExitCode.Failed, "unexpected error: Cannot read properties of undefined (reading 'x')"],
  ])('when %p is thrown, then the exit code is %d and the message one line', (err, code, message) => {
    expect(failureOf(err)).toEqual({ exitCode: code, message });
  });

  it('when the codes are compared with issue 15, then they are 0, 1, 2, 3 and 4 (130 for Ctrl-C)', () => {
    expect(ExitCode).toEqual({ Ok: 0, Failed: 1, Usage: 2, Auth: 3, NotFound: 4, Interrupted: 130 });
  });
});
