import { MAX_API_VERSION } from '@volume/microversion';
import { ADMIN, TestStack } from '@volume/testing-stack';
import { keyShape, loadCapture } from './support/captures';

/**
 * Replays requests recorded from a real Cinder and expects the same answer. Cinder 21.3.1's max was
 * 3.70; where its text names the max, ours names our max.
 */
describe('golden captures from a real Cinder (real apps, PostgreSQL, NATS)', () => {
  let stack: TestStack;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    stack = await TestStack.start();
    ids['0077a3ce-fc9d-424e-beed-79ce31f65fad'] = await stack.createVolume({ size: 1, name: 'peer-vol-a', metadata: { purpose: 'peer' } });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  async function replay(prefix: string) {
    const c = loadCapture(prefix);
    let path = c.path;
    for (const [recorded, ours] of Object.entries(ids)) path = path.replace(recorded, ours);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(c.requestHeaders)) {
      if (!['host', 'user-agent', 'accept', 'content-length'].includes(k)) headers[k] = v;
    }
    const res = await stack.request(c.method as 'GET', path, { headers, rawBody: c.requestBody });
    return { c, res };
  }

  const sameAnswer = [
    ['11', 'a version above the max (4.0) is 406 computeFault naming our range'],
    ['12', "a version 'volume foo' is 400 with Cinder's format message and no version header"],
    ['13', "a header without 'volume' is 400 with webob's generic text"],
    ['14', 'volume 2.0 is 406 without version headers (legacy endpoint rule)'],
    ['15', "'compute 3.70' alone is 400"],
    ['17', 'an unknown volume uuid is 404 itemNotFound'],
    ['18', 'a volume id that is not a uuid is 404 itemNotFound, not a 500'],
    ['20', "a URL project other than the token's is 400 Malformed request url"],
    ['24', 'size 0 is 400 with the jsonschema minimum text'],
    ['25', "size 'abc' is 400 with the pattern text"],
    ['26', 'size -1 is 400 with the minimum text'],
    ['27', "a body without 'volume' is 400 'volume' is a required property"],
    ['28', "an empty object is 400 'volume' is a required property"],
    ['29', 'a volume without size is 400 with the generic text'],
    ['30', 'a 256-character name is 400 Invalid input received'],
    ['31', 'a body that is not JSON is 400 Malformed request body'],
    ['32', 'size 0 at 3.0 is 400 with the same text'],
    ['43', 'an unknown action is 400 There is no such action'],
  ] as const;

  it.each(sameAnswer)('capture %s: when replayed, then %s', async (prefix) => {
    const { c, res } = await replay(prefix);
    const expected = c.responseBody.replace('maximum is 3.70', `maximum is ${MAX_API_VERSION}`);
    expect(res.status).toBe(c.status);
    expect(res.body).toEqual(JSON.parse(expected));
    for (const h of ['openstack-api-version', 'vary']) {
      expect(h in res.headers).toBe(h in c.responseHeaders);
      if (h in c.responseHeaders) expect(res.headers[h]).toBe(c.responseHeaders[h]);
    }
    expect(String(res.headers['x-openstack-request-id'])).toMatch(/^req-[0-9a-f-]{36}$/);
  });

  it.each([
    ['06', 'admin at 3.70'],
    ['07', 'admin at 3.0'],
    ['08', 'admin without a version header'],
  ])('capture %s: show as %s has the same keys in the same order', async (prefix) => {
    const { c, res } = await replay(prefix);
    expect(res.status).toBe(200);
    expect(keyShape(res.body)).toEqual(keyShape(JSON.parse(c.responseBody)));
    expect(res.body.volume.metadata).toEqual({ purpose: 'peer' });
    expect(res.body.volume.name).toBe('peer-vol-a');
  });

  it('capture 50: a member (keystone headers) sees the member keys, with no admin-only key', async () => {
    const c = loadCapture('50');
    const member = { 'x-auth-token': `demo:${c.path.split('/')[2]}`, 'openstack-api-version': 'volume 3.70' };
    const id = ids['0077a3ce-fc9d-424e-beed-79ce31f65fad'];
    const res = await stack.request('GET', `/v3/${c.path.split('/')[2]}/volumes/${id}`, { headers: member });
    expect(res.status).toBe(200);
    expect(keyShape(res.body)).toEqual(keyShape(JSON.parse(c.responseBody)));
  });

  it('capture 21: detail list at 3.70 has the detail keys and a next link when the page is full', async () => {
    const { c, res } = await replay('21');
    expect(res.status).toBe(200);
    const recorded = JSON.parse(c.responseBody);
    expect(keyShape(res.body.volumes[0])).toEqual(keyShape(recorded.volumes[0]));
    expect(res.body.volumes_links[0].rel).toBe('next');
    expect(res.body.volumes_links[0].href).toBe(
      `http://localhost:8776/v3/${c.path.split('/')[2]}/volumes/detail?limit=1&marker=${res.body.volumes[0].id}`,
    );
  });

  it('capture 01: GET / is 300 with the versions document advertising our max', async () => {
    const res = await stack.request('GET', '/');
    expect(res.status).toBe(300);
    expect(res.body.versions[0]).toMatchObject({ id: 'v3.0', version: MAX_API_VERSION, min_version: '3.0' });
    expect(res.headers['openstack-api-version']).toBe('volume 3.0');
  });

  it('when GET /v3/ comes without a token, then 401 unauthorized (we differ from noauth Cinder, which hands out a token)', async () => {
    const res = await stack.request('GET', '/v3/');
    expect(res.status).toBe(401);
    expect(Object.keys(res.body)).toEqual(['unauthorized']);
  });

  it('when an unknown path is asked, then plain-text 404 as Cinder router', async () => {
    const res = await stack.request('GET', '/v3/nothing-here', { headers: ADMIN });
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
  });
});
