import pino from 'pino';
import { CodedError, ErrorCode } from '@volume/contracts';
import { createAuthenticator } from '../create-authenticator';
import { Authenticator } from '../authenticator';
import { KEYSTONE_UNAVAILABLE } from './keystone.client';
import { AuthConfig, keystoneConfigSchema } from './keystone.config';
import { loadConfig } from '@volume/platform';

// The authenticator against a Keystone stand-in (fetch) and a fake clock: what it asks Keystone,
// when, and what it makes of the answers. The real Keystone is in keystone.authenticator.int.spec.ts.

const PASSWORD = 'service-password-never-logged';
const HOUR = 3_600_000;

interface FakeToken {
  user: string;
  project?: string;
  roles: string[];
  expiresAt: number;
}

class FakeKeystone {
  now = Date.parse('2030-01-01T00:00:00Z');
  readonly tokens = new Map<string, FakeToken>();
  readonly issued: string[] = [];
  validations = 0;
  /** ok; down (connection refused); error (500); hang (never answers). */
  mode: 'ok' | 'down' | 'error' | 'hang' = 'ok';
  serviceTokenLifetimeMs = HOUR;

  readonly fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = String(input);
    if (this.mode === 'down') throw new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } });
    if (this.mode === 'hang') {
      return new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal?.reason)));
    }
    if (this.mode === 'error') return new Response('{}', { status: 500 });
    expect(url).toBe('http://keystone.test:5000/v3/auth/tokens?nocatalog');
    const headers = new Headers(init?.headers);
    if (init?.method === 'POST') {
      const auth = JSON.parse(String(init.body)).auth;
      if (auth.identity.password.user.password !== PASSWORD) return new Response('{}', { status: 401 });
      const token = `svc-${this.issued.length}`;
      this.issued.push(token);
      this.tokens.set(token, { user: 'cinder', project: 'service', roles: ['service'], expiresAt: this.now + this.serviceTokenLifetimeMs });
      return this.answer(201, token, this.tokens.get(token) as FakeToken);
    }
    this.validations++;
    const service = this.tokens.get(headers.get('x-auth-token') ?? '');
    if (!service || service.expiresAt <= this.now) return new Response('{}', { status: 401 });
    const subject = this.tokens.get(headers.get('x-subject-token') ?? '');
    if (!subject || subject.expiresAt <= this.now) return new Response('{}', { status: 404 });
    return this.answer(200, headers.get('x-subject-token') as string, subject);
  };

  private answer(status: number, subject: string, t: FakeToken): Response {
    const token = {
      user: { id: `${t.user}-id`, domain: { id: 'default' } },
      ...(t.project ? { project: { id: `${t.project}-id`, domain: { id: 'default' } } } : {}),
      roles: t.roles.map((name) => ({ id: `${name}-id`, name })),
      issued_at: new Date(this.now).toISOString(),
      expires_at: new Date(t.expiresAt).toISOString(),
    };
    return new Response(JSON.stringify({ token }), { status, headers: { 'x-subject-token': subject, 'content-type': 'application/json' } });
  }
}

function setup(env: Record<string, string> = {}) {
  const keystone = new FakeKeystone();
  const lines: string[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => lines.push(line) });
  const config: AuthConfig = {
    AUTH_STRATEGY: 'keystone',
    ...loadConfig('test', keystoneConfigSchema, {
      KEYSTONE_AUTH_URL: 'http://keystone.test:5000/v3',
      KEYSTONE_USERNAME: 'cinder',
      KEYSTONE_PASSWORD: PASSWORD,
      ...env,
    }),
  };
  const auth = createAuthenticator(config, log, { fetch: keystone.fetch as typeof fetch, now: () => keystone.now });
  const user = (token: string, t: Partial<FakeToken> = {}) =>
    keystone.tokens.set(token, { user: 'demo', project: 'demo', roles: ['member', 'reader'], expiresAt: keystone.now + HOUR, ...t });
  return { keystone, auth, lines, user };
}

async function refusal(auth: Authenticator, headers: Record<string, string>): Promise<[ErrorCode, string] | undefined> {
  try {
    await auth.authenticate(headers);
    return undefined;
  } catch (err) {
    return [(err as CodedError).code, (err as CodedError).message];
  }
}

describe('KeystoneAuthenticator (Keystone stand-in)', () => {
  it('when a valid token comes with identity headers of its own, then the caller is what Keystone says and the headers count for nothing', async () => {
    const { auth, user } = setup();
    user('tok-demo');
    const caller = await auth.authenticate({
      'x-auth-token': ' tok-demo ',
      'x-user-id': 'admin-id',
      'x-project-id': 'admin-project',
      'x-roles': 'admin,service',
      'x-identity-status': 'Confirmed',
      'x-service-roles': 'service',
      'x-tenant-id': 'admin-project',
    });
    expect(caller).toEqual({
      userId: 'demo-id',
      projectId: 'demo-id',
      roles: ['member', 'reader'],
      isAdmin: false,
      isService: false,
      expiresAt: '2030-01-01T01:00:00.000Z',
      isAdminProject: true,
      userDomainId: 'default',
      projectDomainId: 'default',
    });
  });

  it('when roles come in any case, then they are lower-cased and admin/service follow them', async () => {
    const { auth, user } = setup();
    user('tok-admin', { roles: ['Admin', 'member'] });
    expect(await auth.authenticate({ 'x-auth-token': 'tok-admin' })).toMatchObject({ roles: ['admin', 'member'], isAdmin: true, isService: false });
  });

  it.each([
    ['no token', {}],
    ['an empty token', { 'x-auth-token': '  ' }],
    ['an unknown token', { 'x-auth-token': 'garbage' }],
    ['a token with spaces inside', { 'x-auth-token': 'a b' }],
    ['a token longer than any Keystone issues', { 'x-auth-token': 'x'.repeat(8193) }],
  ])('when the request has %s, then 401 with Cinder text', async (_what, headers) => {
    const { auth } = setup();
    expect(await refusal(auth, headers)).toEqual([ErrorCode.Unauthorized, expect.stringContaining('could not verify that you are authorized')]);
  });

  it('when the token has no project scope, then 401', async () => {
    const { auth, user } = setup();
    user('tok-unscoped', { project: undefined });
    expect((await refusal(auth, { 'x-auth-token': 'tok-unscoped' }))?.[0]).toBe(ErrorCode.Unauthorized);
  });

  it('when tokens are validated, then one service token is issued and presented each time until it nears expiry, then renewed before it expires', async () => {
    const { keystone, auth, user } = setup({ KEYSTONE_TOKEN_CACHE_S: '0' });
    user('tok-demo', { expiresAt: keystone.now + 10 * HOUR });
    await auth.authenticate({ 'x-auth-token': 'tok-demo' });
    await auth.authenticate({ 'x-auth-token': 'tok-demo' });
    expect([keystone.issued.length, keystone.validations]).toEqual([1, 2]);
    keystone.now += HOUR - 121_000;
    await auth.authenticate({ 'x-auth-token': 'tok-demo' });
    expect(keystone.issued.length).toBe(1);
    keystone.now += 2_000;
    await auth.authenticate({ 'x-auth-token': 'tok-demo' });
    expect(keystone.issued.length).toBe(2);
  });

  it('when Keystone refuses the service token (revoked), then a new one is issued and the validation asked again', async () => {
    const { keystone, auth, user } = setup();
    user('tok-demo');
    user('tok-other');
    await auth.authenticate({ 'x-auth-token': 'tok-demo' });
    keystone.tokens.delete('svc-0');
    expect((await auth.authenticate({ 'x-auth-token': 'tok-other' })).userId).toBe('demo-id');
    expect(keystone.issued).toEqual(['svc-0', 'svc-1']);
  });

  it('when the service password is wrong, then 503 and the password is in no log line', async () => {
    const { auth, user, lines } = setup({ KEYSTONE_PASSWORD: 'wrong-password-never-logged' });
    user('tok-demo');
    expect(await refusal(auth, { 'x-auth-token': 'tok-demo' })).toEqual([ErrorCode.Unavailable, KEYSTONE_UNAVAILABLE]);
    expect(lines.join('')).toContain('HTTP 401');
    expect(lines.join('')).not.toContain('never-logged');
  });

  it.each([
    ['refuses connections', 'down', 'ECONNREFUSED'],
    ['answers 500', 'error', 'HTTP 500'],
    ['does not answer within KEYSTONE_TIMEOUT_S', 'hang', 'no answer within 1000 ms'],
  ] as const)('when Keystone %s, then 503 and no caller', async (_what, mode, reason) => {
    const { keystone, auth, user, lines } = setup({ KEYSTONE_TIMEOUT_S: '1' });
    user('tok-demo');
    keystone.mode = mode;
    expect(await refusal(auth, { 'x-auth-token': 'tok-demo' })).toEqual([ErrorCode.Unavailable, KEYSTONE_UNAVAILABLE]);
    expect(lines.join('')).toContain(reason);
  });

  it('when a token was validated and Keystone goes down, then the cached caller is still served, and new tokens get 503', async () => {
    const { keystone, auth, user } = setup();
    user('tok-demo');
    user('tok-new');
    await auth.authenticate({ 'x-auth-token': 'tok-demo' });
    keystone.mode = 'down';
    expect((await auth.authenticate({ 'x-auth-token': 'tok-demo' })).userId).toBe('demo-id');
    expect((await refusal(auth, { 'x-auth-token': 'tok-new' }))?.[0]).toBe(ErrorCode.Unavailable);
  });

  it('when a valid X-Service-Token with the service role comes along, then the caller also has the service role', async () => {
    const { auth, user } = setup();
    user('tok-demo');
    user('tok-nova', { user: 'nova', project: 'service', roles: ['service'] });
    const caller = await auth.authenticate({ 'x-auth-token': 'tok-demo', 'x-service-token': 'tok-nova' });
    expect(caller).toMatchObject({ userId: 'demo-id', projectId: 'demo-id', roles: ['member', 'reader', 'service'], isService: true, isAdmin: false });
  });

  it('when the X-Service-Token is valid but has none of KEYSTONE_SERVICE_TOKEN_ROLES, then the caller is only the user', async () => {
    const { auth, user } = setup({ KEYSTONE_SERVICE_TOKEN_ROLES: 'nova_service' });
    user('tok-demo');
    user('tok-nova', { user: 'nova', project: 'service', roles: ['service'] });
    expect(await auth.authenticate({ 'x-auth-token': 'tok-demo', 'x-service-token': 'tok-nova' })).toMatchObject({ isService: false });
  });

  it('when the X-Service-Token is invalid, then 401 (as keystonemiddleware rejects it)', async () => {
    const { auth, user } = setup();
    user('tok-demo');
    expect((await refusal(auth, { 'x-auth-token': 'tok-demo', 'x-service-token': 'forged' }))?.[0]).toBe(ErrorCode.Unauthorized);
  });

  it('when tokens are refused and accepted, then no log line holds a token', async () => {
    const { auth, user, lines } = setup();
    user('tok-demo-secret-value');
    await auth.authenticate({ 'x-auth-token': 'tok-demo-secret-value' });
    await refusal(auth, { 'x-auth-token': 'garbage-secret-value' });
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('')).not.toMatch(/secret-value|svc-0/);
  });

  it('when closed, then it answers 503 and keeps no token', async () => {
    const { auth, user } = setup();
    user('tok-demo');
    await auth.authenticate({ 'x-auth-token': 'tok-demo' });
    await auth.close();
    await auth.close();
    expect((await refusal(auth, { 'x-auth-token': 'tok-demo' }))?.[0]).toBe(ErrorCode.Unavailable);
  });
});
