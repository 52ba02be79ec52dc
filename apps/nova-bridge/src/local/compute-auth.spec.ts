import { Authenticator, Caller, noauthAuthenticator } from '@volume/auth';
import { CodedError, ErrorCode } from '@volume/contracts';
import { noauthServiceIdentity } from './api-identity';
import { authenticateCaller, ComputeCaller } from './compute-auth';

/** An Authenticator of the given strategy that answers `caller` or throws `error`. */
function fakeAuthenticator(strategy: Authenticator['strategy'], outcome: Caller | CodedError): Authenticator {
  return {
    strategy,
    authenticate: async () => {
      if (outcome instanceof CodedError) throw outcome;
      return outcome;
    },
    close: async () => undefined,
  };
}

function withoutIdentity(caller: ComputeCaller): Caller {
  const { identity: _identity, ...rest } = caller;
  return rest;
}

const member: Caller = { userId: 'u1', projectId: 'p1', roles: ['member'], isAdmin: false, isService: false };

describe('authenticateCaller (the compute API authenticates as volume-api does)', () => {
  it('when noauth reads user:project, then the caller acts on volume-api with that very token, in its project', async () => {
    const caller = await authenticateCaller(noauthAuthenticator(), { 'x-auth-token': 'demo:p1' });
    expect(caller).toMatchObject({ userId: 'demo', projectId: 'p1', isAdmin: false, isService: false });
    const { project, headers } = await caller.identity.credentials();
    expect([project, headers['x-auth-token']]).toEqual(['p1', 'demo:p1']);
    expect(await noauthAuthenticator().authenticate(headers)).toEqual(withoutIdentity(caller));
  });

  it('when a noauth caller names roles, then volume-api gets them with its token and sees the same caller (noauth has nothing else to read them from)', async () => {
    const caller = await authenticateCaller(noauthAuthenticator(), { 'x-auth-token': 'ops:p1', 'x-roles': 'member, Admin' });
    expect(caller.isAdmin).toBe(true);
    const { headers } = await caller.identity.credentials();
    expect(headers['x-roles']?.split(',')).toContain('admin');
    expect(await noauthAuthenticator().authenticate(headers)).toEqual(withoutIdentity(caller));
  });

  it('when Keystone authenticated the caller, then only its token goes on: identity headers it sent are not passed', async () => {
    const headers = { 'x-auth-token': 'gAAAA-token', 'x-roles': 'admin', 'x-project-id': 'p2' };
    const caller = await authenticateCaller(fakeAuthenticator('keystone', member), headers);
    expect(await caller.identity.credentials()).toEqual({ project: 'p1', headers: { 'x-auth-token': 'gAAAA-token' } });
  });

  it('when there is no token, then it is a 401 with Nova’s unauthorized body', async () => {
    await expect(authenticateCaller(noauthAuthenticator(), {})).rejects.toMatchObject({
      status: 401,
      body: { unauthorized: expect.objectContaining({ code: 401 }) },
    });
  });

  it('when the identity service cannot be asked, then it is a 503, never a request let through', async () => {
    const down = fakeAuthenticator('keystone', new CodedError(ErrorCode.Unavailable, 'Keystone did not answer'));
    await expect(authenticateCaller(down, { 'x-auth-token': 't' })).rejects.toMatchObject({
      status: 503,
      body: { serviceUnavailable: { code: 503, message: 'Keystone did not answer' } },
    });
  });

  it('when the token has no project scope, then it is a 401: a server belongs to a project', async () => {
    const unscoped = fakeAuthenticator('keystone', { ...member, projectId: '' });
    await expect(authenticateCaller(unscoped, { 'x-auth-token': 't' })).rejects.toMatchObject({ status: 401 });
  });
});

describe('noauthServiceIdentity', () => {
  it('acts as the service user with the service role, in the project of the server it swaps for', async () => {
    expect(await noauthServiceIdentity('nova').forProject('p1').credentials()).toEqual({
      project: 'p1',
      headers: { 'x-auth-token': 'nova:p1', 'x-roles': 'service' },
    });
  });
});
