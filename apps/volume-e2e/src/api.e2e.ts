import { randomBytes } from 'node:crypto';
import { BASE_URL, request, waitFor } from './support/http';

/**
 * The Block Storage API of a running stack, driven over HTTP like the cinder client does: against
 * `npm start` in CI and against the compose stack (E2E_BASE_URL). Each run works in a project of its
 * own, so that it neither sees nor disturbs what else lives in the stack.
 */
const PROJECT = randomBytes(16).toString('hex');
const ADMIN = `admin:${PROJECT}`;
const MEMBER = `demo:${PROJECT}`;
const V = `/v3/${PROJECT}/volumes`;
const INSTANCE = '3f0c2a52-8c1e-4d6f-9a77-1b2c3d4e5f60';
const NAME = `e2e-${PROJECT.slice(0, 8)}`;
const ADMIN_ONLY_KEYS = ['os-vol-host-attr:host', 'os-vol-mig-status-attr:migstat', 'os-vol-mig-status-attr:name_id', 'migration_status', 'provider_id'];

/** Waits until a volume has `status`, or `error`, which never changes by itself; returns the volume. */
async function statusBecomes(id: string, status: string): Promise<Record<string, unknown>> {
  const volume = await waitFor(`volume ${id} ${status}`, async () => {
    const res = await request('GET', `${V}/${id}`, { token: ADMIN, version: '3.70' });
    return [status, 'error'].includes(res.body?.volume?.status) ? res.body.volume : undefined;
  });
  expect([id, volume.status]).toEqual([id, status]);
  return volume;
}

beforeAll(async () => {
  await waitFor(`${BASE_URL}/readyz`, async () => ((await request('GET', '/readyz')).status === 200 ? true : undefined), 30_000).catch((err) => {
    throw new Error(`no stack answers at ${BASE_URL} (start one with \`npm start\` or docker compose, or set E2E_BASE_URL): ${err.message}`);
  });
  // The API is ready before the storage hosts have reported: wait until the scheduler knows a pool.
  await waitFor('a storage pool reported by a worker', async () => {
    const res = await request('GET', `/v3/${PROJECT}/scheduler-stats/get_pools`, { token: ADMIN });
    return res.status === 200 && res.body.pools.length > 0 ? true : undefined;
  });
});

describe(`health (${BASE_URL})`, () => {
  it('when probed, then /healthz is live and /readyz reports PostgreSQL and NATS reachable', async () => {
    expect(await request('GET', '/healthz')).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(await request('GET', '/readyz')).toMatchObject({ status: 200, body: { status: 'ok', checks: { postgres: true, nats: true } } });
  });
});

describe('version documents and auth', () => {
  it('when / is asked, then 300 with the v3.0 version document, 3.0 to the max microversion', async () => {
    const res = await request('GET', '/');
    expect(res.status).toBe(300);
    expect(res.headers.get('openstack-api-version')).toBe('volume 3.0');
    expect(res.body.versions).toEqual([
      expect.objectContaining({ id: 'v3.0', status: 'CURRENT', min_version: '3.0', version: expect.stringMatching(/^3\.\d+$/) }),
    ]);
    expect(res.body.versions[0].links).toContainEqual({ rel: 'self', href: expect.stringMatching(/\/v3\/$/) });
  });

  it('when /v3/ is asked with a token, then 200 with the same document; without one, 401', async () => {
    const root = await request('GET', '/');
    const v3 = await request('GET', '/v3/', { token: ADMIN });
    expect(v3.status).toBe(200);
    expect(v3.body).toEqual(root.body);
    const anonymous = await request('GET', '/v3/');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toEqual({ unauthorized: { code: 401, message: expect.stringContaining('could not verify that you are authorized') } });
  });

  it('when a volume route is called without a token, then 401 unauthorized', async () => {
    const res = await request('GET', V);
    expect(res.status).toBe(401);
    expect(res.body.unauthorized.code).toBe(401);
  });
});

describe('a volume from create to delete', () => {
  let id: string;
  let attachmentId: string;

  it('when an admin creates a volume, then 202 creating, and it becomes available on a pool', async () => {
    const res = await request('POST', V, { token: ADMIN, version: '3.70', body: { volume: { size: 1, name: NAME, metadata: { suite: 'e2e' } } } });
    expect(res.status).toBe(202);
    expect(res.body.volume).toMatchObject({ status: 'creating', size: 1, name: NAME, metadata: { suite: 'e2e' } });
    id = res.body.volume.id;
    const volume = await statusBecomes(id, 'available');
    expect(volume['os-vol-host-attr:host']).toMatch(/^[A-Za-z0-9_-]+@[A-Za-z0-9_-]+#[A-Za-z0-9_-]+$/);
  });

  it('when shown, then an admin sees the admin-only keys and a member of the project does not', async () => {
    const admin = await request('GET', `${V}/${id}`, { token: ADMIN, version: '3.70' });
    expect(admin.status).toBe(200);
    expect(admin.body.volume).toMatchObject({ id, name: NAME, 'os-vol-tenant-attr:tenant_id': PROJECT });
    for (const key of ['os-vol-host-attr:host', 'migration_status']) expect(admin.body.volume).toHaveProperty([key]);

    const member = await request('GET', `${V}/${id}`, { token: MEMBER, version: '3.70' });
    expect(member.status).toBe(200);
    expect(member.body.volume).toMatchObject({ id, name: NAME, status: 'available' });
    for (const key of ADMIN_ONLY_KEYS) expect(member.body.volume).not.toHaveProperty([key]);
  });

  it('when listed, then the summary and the detail lists hold it', async () => {
    const list = await request('GET', V, { token: MEMBER, version: '3.70' });
    expect(list.status).toBe(200);
    expect(list.body.volumes).toContainEqual({ id, name: NAME, links: expect.any(Array) });
    const detail = await request('GET', `${V}/detail?name=${NAME}`, { token: ADMIN, version: '3.70' });
    expect(detail.body.volumes.map((v: { id: string }) => v.id)).toEqual([id]);
  });

  it('when attached with a connector and completed, then it is in-use with the attachment', async () => {
    const created = await request('POST', `/v3/${PROJECT}/attachments`, {
      token: ADMIN,
      version: '3.44',
      body: { attachment: { volume_uuid: id, instance_uuid: INSTANCE, connector: { host: 'compute-e2e', mountpoint: '/dev/vdb' } } },
    });
    expect(created.status).toBe(200);
    attachmentId = created.body.attachment.id;
    expect(created.body.attachment.connection_info).toMatchObject({ driver_volume_type: 'local', data: { device_path: expect.stringMatching(/^\//) } });
    // device_path is a file on the worker's machine: whether it exists cannot be seen from here
    // (the in-process integration tests check it).

    const done = await request('POST', `/v3/${PROJECT}/attachments/${attachmentId}/action`, { token: ADMIN, version: '3.44', body: { 'os-complete': null } });
    expect(done.status).toBe(204);
    const volume = await statusBecomes(id, 'in-use');
    expect(volume.attachments).toEqual([expect.objectContaining({ attachment_id: attachmentId, server_id: INSTANCE, host_name: 'compute-e2e' })]);
  });

  it('when an attached volume is deleted, then 400 with Cinder message', async () => {
    const res = await request('DELETE', `${V}/${id}`, { token: ADMIN });
    expect(res.status).toBe(400);
    expect(res.body.badRequest.message).toMatch(/^Invalid volume: Volume status must be available or error/);
  });

  it('when detached, then it is available again', async () => {
    const res = await request('DELETE', `/v3/${PROJECT}/attachments/${attachmentId}`, { token: ADMIN, version: '3.44' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ attachments: [] });
    const volume = await statusBecomes(id, 'available');
    expect(volume.attachments).toEqual([]);
  });

  it('when deleted, then 202 and it goes away: 404 itemNotFound', async () => {
    const res = await request('DELETE', `${V}/${id}`, { token: ADMIN });
    expect(res.status).toBe(202);
    const gone = await waitFor(`volume ${id} gone`, async () => {
      const shown = await request('GET', `${V}/${id}`, { token: ADMIN });
      return shown.status === 404 ? shown : undefined;
    });
    expect(gone.body).toEqual({ itemNotFound: { code: 404, message: `Volume ${id} could not be found.` } });
  });
});

describe("Cinder's error bodies", () => {
  it('when an unknown volume is shown, then 404 itemNotFound naming it', async () => {
    const res = await request('GET', `${V}/00000000-0000-0000-0000-000000000000`, { token: ADMIN, version: '3.70' });
    expect([res.status, res.body]).toEqual([404, { itemNotFound: { code: 404, message: 'Volume 00000000-0000-0000-0000-000000000000 could not be found.' } }]);
  });

  it('when a volume of size 0 or a body that is not JSON is posted, then 400 badRequest with Cinder text', async () => {
    const zero = await request('POST', V, { token: ADMIN, version: '3.70', body: { volume: { size: 0 } } });
    expect([zero.status, zero.body]).toEqual([
      400,
      { badRequest: { code: 400, message: 'Invalid input for field/attribute size. Value: 0. 0 is less than the minimum of 1' } },
    ]);
    const garbage = await request('POST', V, { token: ADMIN, version: '3.70', rawBody: 'not json' });
    expect([garbage.status, garbage.body]).toEqual([400, { badRequest: { code: 400, message: 'Malformed request body' } }]);
  });

  it('when a microversion above the max is asked, then 406 computeFault naming the range', async () => {
    const max = (await request('GET', '/')).body.versions[0].version;
    const res = await request('GET', V, { token: ADMIN, version: '4.0' });
    expect([res.status, res.body]).toEqual([
      406,
      { computeFault: { code: 406, message: `Version 4.0 is not supported by the API. Minimum is 3.0 and maximum is ${max}.` } },
    ]);
  });

  it("when the URL names another project than the token's, then 400 Malformed request url", async () => {
    const res = await request('GET', `/v3/${'f'.repeat(32)}/volumes`, { token: ADMIN });
    expect([res.status, res.body]).toEqual([400, { badRequest: { code: 400, message: 'Malformed request url' } }]);
  });
});
