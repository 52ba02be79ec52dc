import { AuthError, ExitCode } from '../exit-codes';
import { fakeFetch } from '../test-support/fake-api';
import type { Credentials } from '../credentials/auth-settings';
import { openSession } from './session';

const PASSWORD: Credentials = {
  kind: 'password',
  authUrl: 'http://keystone.test:5000/v3/',
  username: 'ops',
  password: 'hunter2',
  userDomainName: 'Default',
  projectName: 'infra',
  projectDomainName: 'Default',
  interface: 'public',
};

const CATALOG = [
  { type: 'compute', endpoints: [{ interface: 'public', url: 'http://nova.test/v2.1' }] },
  {
    type: 'volumev3',
    endpoints: [
      { interface: 'internal', url: 'http://cinder.internal:8776/v3/p9', region_id: 'r1' },
      { interface: 'public', url: 'http://cinder.r2:8776/v3', region_id: 'r2' },
      { interface: 'public', url: 'http://cinder.r1:8776/v3/p9', region_id: 'r1' },
    ],
  },
];

function keystone(status = 201, catalog = CATALOG) {
  return fakeFetch((req) =>
    req.url.pathname === '/v3/auth/tokens' && req.method === 'POST'
      ? status === 201
        ? { status, body: { token: { user: { id: 'u1' }, project: { id: 'p9' }, expires_at: '2030-01-01T00:00:00Z', catalog } }, headers: { 'x-subject-token': 'tok-1' } }
        : { status, body: { error: { code: status, message: 'The request you have made requires authentication.' } } }
      : undefined,
  );
}

describe('Keystone password authentication and the volumev3 endpoint', () => {
  it('when the password is accepted, then the token authenticates calls to the catalog endpoint of the interface (and region) asked', async () => {
    const { fetch, seen } = keystone();
    expect(await openSession(PASSWORD, fetch)).toEqual({ endpoint: 'http://cinder.r2:8776/v3/p9', headers: { 'x-auth-token': 'tok-1' } });
    expect(seen[0].url.href).toBe('http://keystone.test:5000/v3/auth/tokens');
    expect(seen[0].body).toEqual({
      auth: {
        identity: { methods: ['password'], password: { user: { name: 'ops', domain: { name: 'Default' }, password: 'hunter2' } } },
        scope: { project: { name: 'infra', domain: { name: 'Default' } } },
      },
    });
    expect((await openSession({ ...PASSWORD, regionName: 'r1' }, fetch)).endpoint).toBe('http://cinder.r1:8776/v3/p9');
    expect((await openSession({ ...PASSWORD, interface: 'internal' }, fetch)).endpoint).toBe('http://cinder.internal:8776/v3/p9');
  });

  it('when ids are given instead of names, then Keystone gets the ids', async () => {
    const { fetch, seen } = keystone();
    await openSession({ ...PASSWORD, userId: 'u1', projectId: 'p9' }, fetch);
    expect(seen[0].body).toEqual({ auth: { identity: { methods: ['password'], password: { user: { id: 'u1', password: 'hunter2' } } }, scope: { project: { id: 'p9' } } } });
  });

  it('when Keystone refuses, then it is an auth error (exit 3) with its message and without the password', async () => {
    const refused = await openSession(PASSWORD, keystone(401).fetch).catch((e) => e);
    expect(refused).toBeInstanceOf(AuthError);
    expect(refused.exitCode).toBe(ExitCode.Auth);
    expect(refused.message).toBe('Keystone refused the credentials (HTTP 401)');
    expect(refused.message).not.toContain('hunter2');
  });

  it('when the catalog has no volumev3 endpoint of that interface, or Keystone cannot be reached, then it says so (exit 3)', async () => {
    await expect(openSession({ ...PASSWORD, interface: 'admin' }, keystone().fetch)).rejects.toThrow(new AuthError('the catalog has no volumev3 endpoint (interface admin)'));
    const down = (async () => {
      throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    }) as typeof fetch;
    await expect(openSession(PASSWORD, down)).rejects.toThrow(new AuthError('cannot reach Keystone at http://keystone.test:5000/v3/auth/tokens: ECONNREFUSED'));
  });

  it('when noauth, then no call is made: the token is user:project and the project is appended to the endpoint, as cinderclient does', async () => {
    const { fetch, seen } = fakeFetch(() => undefined);
    expect(await openSession({ kind: 'noauth', endpoint: 'http://api.test:8776/v3', userId: 'admin', projectId: 'p1' }, fetch)).toEqual({
      endpoint: 'http://api.test:8776/v3/p1',
      headers: { 'x-auth-token': 'admin:p1' },
    });
    expect(seen).toEqual([]);
  });
});
