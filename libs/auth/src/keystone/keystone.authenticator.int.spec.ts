import pino from 'pino';
import { CodedError, ErrorCode } from '@volume/contracts';
import { loadConfig } from '@volume/platform';
import { TestKeystone } from '@volume/testing';
import { Authenticator } from '../authenticator';
import { createAuthenticator } from '../create-authenticator';
import { AuthConfig, keystoneConfigSchema } from './keystone.config';

// The authenticator against a real Keystone (Debian's package, started for this file).

let keystone: TestKeystone;
let clockOffsetMs = 0;
const now = () => Date.now() + clockOffsetMs;
const opened: Authenticator[] = [];

function authenticator(env: Record<string, string> = {}): Authenticator {
  const config: AuthConfig = { AUTH_STRATEGY: 'keystone', ...loadConfig('test', keystoneConfigSchema, keystone.authEnv(env)) };
  const auth = createAuthenticator(config, pino({ level: 'silent' }), { now });
  opened.push(auth);
  return auth;
}

async function refusal(auth: Authenticator, headers: Record<string, string>): Promise<ErrorCode | undefined> {
  try {
    await auth.authenticate(headers);
    return undefined;
  } catch (err) {
    if (!(err instanceof CodedError)) throw err;
    return err.code;
  }
}

beforeAll(async () => {
  keystone = await TestKeystone.start();
}, 240_000);

afterAll(async () => {
  for (const a of opened) await a.close();
  await keystone?.stop();
}, 30_000);

describe('KeystoneAuthenticator against a real Keystone', () => {
  it('when a member presents a project token, then the caller is that user in that project with its roles, not admin', async () => {
    const demo = await keystone.token('demo');
    const caller = await authenticator().authenticate({ 'x-auth-token': demo.token });
    expect(caller).toMatchObject({
      userId: keystone.users.demo.id,
      projectId: keystone.projects.demo,
      isAdmin: false,
      isService: false,
      expiresAt: demo.expiresAt,
      isAdminProject: true,
    });
    expect([...caller.roles].sort()).toEqual(['member', 'reader']);
  });

  it('when the admin presents its token, then the caller is admin', async () => {
    const admin = await keystone.token('admin');
    expect(await authenticator().authenticate({ 'x-auth-token': admin.token })).toMatchObject({ isAdmin: true, projectId: keystone.projects.admin });
  });

  it('when a member token comes with X-Roles: admin and another X-Project-Id, then the headers are ignored', async () => {
    const demo = await keystone.token('demo');
    const caller = await authenticator().authenticate({
      'x-auth-token': demo.token,
      'x-roles': 'admin',
      'x-project-id': keystone.projects.admin,
      'x-user-id': 'admin',
      'x-identity-status': 'Confirmed',
    });
    expect([caller.isAdmin, caller.projectId, caller.userId]).toEqual([false, keystone.projects.demo, keystone.users.demo.id]);
  });

  it('when the token is garbage, or no token comes, then 401', async () => {
    const auth = authenticator();
    expect(await refusal(auth, { 'x-auth-token': 'gAAAAABgarbage' })).toBe(ErrorCode.Unauthorized);
    expect(await refusal(auth, {})).toBe(ErrorCode.Unauthorized);
  });

  it('when a token is revoked, then it is still served from the cache until its entry expires, then refused with 401', async () => {
    const auth = authenticator({ KEYSTONE_TOKEN_CACHE_S: '2' });
    const demo = await keystone.token('demo');
    await auth.authenticate({ 'x-auth-token': demo.token });
    await keystone.revoke(demo.token);
    expect(await refusal(auth, { 'x-auth-token': demo.token })).toBeUndefined();
    clockOffsetMs += 2_000;
    expect(await refusal(auth, { 'x-auth-token': demo.token })).toBe(ErrorCode.Unauthorized);
  });

  it('when the token is unscoped, then 401: no project routes without a project', async () => {
    const unscoped = await keystone.token('noproject', null);
    expect(unscoped.projectId).toBeUndefined();
    expect(await refusal(authenticator(), { 'x-auth-token': unscoped.token })).toBe(ErrorCode.Unauthorized);
  });

  it('when nova adds its X-Service-Token to a user token, then the caller is the user with the service role', async () => {
    const [demo, nova] = await Promise.all([keystone.token('demo'), keystone.token('nova')]);
    const caller = await authenticator().authenticate({ 'x-auth-token': demo.token, 'x-service-token': nova.token });
    expect(caller).toMatchObject({ userId: keystone.users.demo.id, projectId: keystone.projects.demo, isService: true, isAdmin: false });
    expect(caller.roles).toContain('service');
  });

  it('when the X-Service-Token lacks the service role, then the caller gets no service role; when it is invalid, 401', async () => {
    const [demo, reader] = await Promise.all([keystone.token('demo'), keystone.token('reader')]);
    const auth = authenticator();
    expect(await auth.authenticate({ 'x-auth-token': demo.token, 'x-service-token': reader.token })).toMatchObject({ isService: false });
    expect(await refusal(auth, { 'x-auth-token': demo.token, 'x-service-token': 'forged' })).toBe(ErrorCode.Unauthorized);
  });

  it('when the service user\'s password is wrong, then 503, not a caller and not a 401', async () => {
    const demo = await keystone.token('demo');
    expect(await refusal(authenticator({ KEYSTONE_PASSWORD: 'wrong' }), { 'x-auth-token': demo.token })).toBe(ErrorCode.Unavailable);
  });

  it('when Keystone answers nothing within KEYSTONE_TIMEOUT_S, then 503', async () => {
    const demo = await keystone.token('demo');
    const auth = authenticator({ KEYSTONE_TIMEOUT_S: '1' });
    keystone.pause();
    try {
      expect(await refusal(auth, { 'x-auth-token': demo.token })).toBe(ErrorCode.Unavailable);
    } finally {
      keystone.resume();
    }
  });

  it('when Keystone is stopped, then new tokens get 503', async () => {
    const demo = await keystone.token('demo');
    const auth = authenticator();
    await keystone.stop();
    expect(await refusal(auth, { 'x-auth-token': demo.token })).toBe(ErrorCode.Unavailable);
  });
});
