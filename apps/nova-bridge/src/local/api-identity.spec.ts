import { Caller, keystoneConfigSchema, serviceTokenSource } from '@volume/auth';
import { loadConfig } from '@volume/platform';
import { callerIdentity, keystoneServiceIdentity } from './api-identity';

// Who the compute host's calls to volume-api act as under Keystone: the caller's token alone, the
// caller's with the bridge's X-Service-Token, or the bridge's own token in its own project.
// Keystone is a stand-in (fetch) that issues the service user's tokens.

function fakeKeystone() {
  const issued: string[] = [];
  const fetch = async (_url: string | URL | Request, init?: RequestInit): Promise<Response> => {
    expect(init?.method).toBe('POST');
    const token = `bridge-token-${issued.length}`;
    issued.push(token);
    const now = Date.now();
    const body = {
      token: {
        user: { id: 'nova-id' },
        project: { id: 'service-project-id' },
        roles: [{ name: 'service' }],
        issued_at: new Date(now).toISOString(),
        expires_at: new Date(now + 3_600_000).toISOString(),
      },
    };
    return new Response(JSON.stringify(body), { status: 201, headers: { 'x-subject-token': token } });
  };
  const config = loadConfig('test', keystoneConfigSchema, { KEYSTONE_AUTH_URL: 'http://keystone.test/v3', KEYSTONE_USERNAME: 'nova', KEYSTONE_PASSWORD: 'pw' });
  return { issued, tokens: serviceTokenSource(config, { fetch }) };
}

const demo: Caller = { userId: 'demo-id', projectId: 'demo-project', roles: ['member', 'reader'], isAdmin: false, isService: false };

describe('callerIdentity under keystone', () => {
  it('when the caller’s own identity is used, then only its token goes, in its project: volume-api decides what it may see', async () => {
    const { issued, tokens } = fakeKeystone();
    const identity = callerIdentity('keystone', { 'x-auth-token': 'demo-token', 'x-roles': 'admin' }, demo, tokens);
    expect(await identity.credentials()).toEqual({ project: 'demo-project', headers: { 'x-auth-token': 'demo-token' } });
    expect(issued).toEqual([]);
  });

  it('when the attachment calls act, then the caller’s token goes with the bridge’s as X-Service-Token, as Nova sends both', async () => {
    const { issued, tokens } = fakeKeystone();
    const identity = callerIdentity('keystone', { 'x-auth-token': 'demo-token' }, demo, tokens);
    expect(await identity.withServiceToken.credentials()).toEqual({
      project: 'demo-project',
      headers: { 'x-auth-token': 'demo-token', 'x-service-token': 'bridge-token-0' },
    });
    expect(issued).toEqual(['bridge-token-0']);
  });

  it('when volume-api refuses such a call, then the service token is dropped and the next call carries a new one', async () => {
    const { tokens } = fakeKeystone();
    const identity = callerIdentity('keystone', { 'x-auth-token': 'demo-token' }, demo, tokens).withServiceToken;
    const first = await identity.credentials();
    expect(identity.refused?.(first)).toBe(true);
    expect((await identity.credentials()).headers['x-service-token']).toBe('bridge-token-1');
  });

  it('when the strategy is noauth, then no service token is sent: the caller alone, with its roles', async () => {
    const identity = callerIdentity('noauth', { 'x-auth-token': 'demo:p1' }, { ...demo, projectId: 'p1' });
    expect(await identity.withServiceToken.credentials()).toEqual({ project: 'p1', headers: { 'x-auth-token': 'demo:p1', 'x-roles': 'member,reader' } });
  });
});

describe('keystoneServiceIdentity (swaps Cinder started: no caller)', () => {
  it('when a swap acts for a server of any project, then it is the bridge’s own token in the token’s own project', async () => {
    const { issued, tokens } = fakeKeystone();
    const service = keystoneServiceIdentity(tokens);
    const a = await service.forProject('demo-project').credentials();
    const b = await service.forProject('alt-project').credentials();
    expect([a, b]).toEqual([
      { project: 'service-project-id', headers: { 'x-auth-token': 'bridge-token-0' } },
      { project: 'service-project-id', headers: { 'x-auth-token': 'bridge-token-0' } },
    ]);
    expect(issued).toHaveLength(1);
  });

  it('when volume-api refuses the bridge’s token (revoked), then another is issued for the next call', async () => {
    const { tokens } = fakeKeystone();
    const identity = keystoneServiceIdentity(tokens).forProject('demo-project');
    const first = await identity.credentials();
    expect(identity.refused?.(first)).toBe(true);
    expect((await identity.credentials()).headers['x-auth-token']).toBe('bridge-token-1');
  });
});
