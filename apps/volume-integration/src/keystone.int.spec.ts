import { TestKeystone } from '@volume/testing';
import { TestStack } from '@volume/testing-stack';

// The whole stack with AUTH_STRATEGY=keystone against a real Keystone (started for this file): what
// a client sees of token validation through the HTTP API.

const UNAUTHORIZED_BODY = {
  unauthorized: {
    code: 401,
    message:
      'This server could not verify that you are authorized to access the document you requested. Either you supplied the wrong credentials (e.g., bad password), or your browser does not understand how to supply the credentials required.',
  },
};
const ADMIN_KEYS = ['migration_status', 'os-vol-host-attr:host', 'os-vol-mig-status-attr:migstat', 'os-vol-mig-status-attr:name_id'];

let keystone: TestKeystone;
let stack: TestStack;
let demoVolume: string;

const volumesOf = (project: string) => `/v3/${project}/volumes`;
const tokenHeader = (token: string, extra: Record<string, string> = {}) => ({ 'x-auth-token': token, ...extra });

beforeAll(async () => {
  keystone = await TestKeystone.start();
  // A 1 s cache, so that a revoked token is refused soon; a 2 s timeout for the frozen Keystone.
  stack = await TestStack.start({ apiEnv: keystone.authEnv({ KEYSTONE_TOKEN_CACHE_S: '1', KEYSTONE_TIMEOUT_S: '2' }) });
  const demo = await keystone.token('demo');
  const created = await stack.request('POST', volumesOf(keystone.projects.demo), { headers: tokenHeader(demo.token), body: { volume: { size: 1, name: 'demo-vol' } } });
  if (created.status !== 202) throw new Error(`create as demo: ${created.status} ${created.text}`);
  demoVolume = created.body.volume.id;
  await stack.waitFor(async () => (await stack.sql('SELECT status FROM volumes WHERE id = $1', [demoVolume]))[0]?.status === 'available', 'demo-vol available');
}, 300_000);

afterAll(async () => {
  await stack?.stop();
  await keystone?.stop();
}, 60_000);

describe('volume-api with AUTH_STRATEGY=keystone (real Keystone)', () => {
  it('when demo creates a volume with its token, then the volume belongs to demo\'s Keystone project and user', async () => {
    const [row] = await stack.sql('SELECT project_id, user_id FROM volumes WHERE id = $1', [demoVolume]);
    expect(row).toEqual({ project_id: keystone.projects.demo, user_id: keystone.users.demo.id });
    const demo = await keystone.token('demo');
    const list = await stack.request('GET', `${volumesOf(keystone.projects.demo)}/detail`, { headers: tokenHeader(demo.token) });
    expect([list.status, list.body.volumes.map((v: { id: string }) => v.id)]).toEqual([200, [demoVolume]]);
  });

  it.each([
    ['a garbage token', { 'x-auth-token': 'gAAAAABnot-a-token' }],
    ['no token', {}],
    ['identity headers and no token', { 'x-user-id': 'admin', 'x-project-id': 'p', 'x-roles': 'admin', 'x-identity-status': 'Confirmed' }],
  ])('when the request carries %s, then 401 with Cinder\'s body and WWW-Authenticate naming Keystone', async (_what, headers) => {
    const res = await stack.request('GET', volumesOf(keystone.projects.demo), { headers });
    expect([res.status, res.body, res.headers['www-authenticate']]).toEqual([401, UNAUTHORIZED_BODY, `Keystone uri="${keystone.authUrl}"`]);
  });

  it('when a token is revoked, then it gets 401 once its cache entry has expired', async () => {
    const demo = await keystone.token('demo');
    const url = `${volumesOf(keystone.projects.demo)}/${demoVolume}`;
    expect((await stack.request('GET', url, { headers: tokenHeader(demo.token) })).status).toBe(200);
    await keystone.revoke(demo.token);
    await stack.waitFor(async () => (await stack.request('GET', url, { headers: tokenHeader(demo.token) })).status === 401, 'the revoked token refused', 15_000);
  });

  it('when a member token comes with X-Roles: admin and X-Project-Id of the admin project, then no admin field shows and migrate is 403', async () => {
    const demo = await keystone.token('demo');
    const forged = tokenHeader(demo.token, { 'x-roles': 'admin', 'x-project-id': keystone.projects.admin, 'x-user-id': 'admin', 'x-service-roles': 'service' });
    const url = `${volumesOf(keystone.projects.demo)}/${demoVolume}`;
    const shown = await stack.request('GET', url, { headers: forged, version: '3.72' });
    expect(shown.status).toBe(200);
    for (const key of ADMIN_KEYS) expect(shown.body.volume).not.toHaveProperty(key);
    const migrate = await stack.request('POST', `${url}/action`, { headers: forged, version: '3.72', body: { 'os-migrate_volume': { host: 'host-b@file#pool1' } } });
    expect([migrate.status, migrate.body]).toEqual([403, { forbidden: { code: 403, message: expect.stringContaining('volume_extension:volume_admin_actions:migrate_volume') } }]);

    // The same volume through the admin's own token and project shows them: the check above can fail.
    const admin = await keystone.token('admin');
    const asAdmin = await stack.request('GET', `${volumesOf(keystone.projects.admin)}/${demoVolume}`, { headers: tokenHeader(admin.token), version: '3.72' });
    expect(asAdmin.body.volume).toHaveProperty('os-vol-host-attr:host');
  });

  it('when nova adds a valid X-Service-Token to demo\'s token, then the request has the service role (migration states show)', async () => {
    const [demo, nova] = await Promise.all([keystone.token('demo'), keystone.token('nova')]);
    const url = `${volumesOf(keystone.projects.demo)}/${demoVolume}`;
    const alone = await stack.request('GET', url, { headers: tokenHeader(demo.token) });
    const withService = await stack.request('GET', url, { headers: tokenHeader(demo.token, { 'x-service-token': nova.token }) });
    expect([alone.status, withService.status]).toEqual([200, 200]);
    expect(alone.body.volume).not.toHaveProperty('os-vol-mig-status-attr:migstat');
    expect(withService.body.volume).toHaveProperty('os-vol-mig-status-attr:migstat');
    const forgedService = await stack.request('GET', url, { headers: tokenHeader(demo.token, { 'x-service-token': 'forged' }) });
    expect(forgedService.status).toBe(401);
  });

  it('when the token is unscoped, or its project is not the URL\'s, then the request is refused', async () => {
    const unscoped = await keystone.token('noproject', null);
    const res = await stack.request('GET', volumesOf(keystone.projects.demo), { headers: tokenHeader(unscoped.token) });
    expect([res.status, res.body]).toEqual([401, UNAUTHORIZED_BODY]);

    const alt = await keystone.token('alt_demo');
    const otherUrl = await stack.request('GET', volumesOf(keystone.projects.demo), { headers: tokenHeader(alt.token) });
    expect([otherUrl.status, otherUrl.body]).toEqual([400, { badRequest: { code: 400, message: 'Malformed request url' } }]);
    const otherVolume = await stack.request('GET', `${volumesOf(keystone.projects.alt_demo)}/${demoVolume}`, { headers: tokenHeader(alt.token) });
    expect(otherVolume.status).toBe(404);
  });

  it('when Keystone answers nothing within KEYSTONE_TIMEOUT_S, then 503 with Cinder\'s fault body; once it answers, the token works', async () => {
    const demo = await keystone.token('demo');
    const url = volumesOf(keystone.projects.demo);
    keystone.pause();
    try {
      const res = await stack.request('GET', url, { headers: tokenHeader(demo.token) });
      expect([res.status, res.body]).toEqual([503, { serviceUnavailable: { code: 503, message: 'The Keystone service is temporarily unavailable.' } }]);
    } finally {
      keystone.resume();
    }
    expect((await stack.request('GET', url, { headers: tokenHeader(demo.token) })).status).toBe(200);
  });

  it('when Keystone is stopped, then a new token gets 503, never a 500 and never a caller', async () => {
    const demo = await keystone.token('demo');
    await keystone.stop();
    const res = await stack.request('GET', volumesOf(keystone.projects.demo), { headers: tokenHeader(demo.token) });
    expect([res.status, res.body]).toEqual([503, { serviceUnavailable: { code: 503, message: 'The Keystone service is temporarily unavailable.' } }]);
  });
});
