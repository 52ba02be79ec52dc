import { IssuedKeystoneToken, TestKeystone } from '@volume/testing';
import { ComputeGuest, TestStack } from '@volume/testing-stack';

// The whole stack with AUTH_STRATEGY=keystone in volume-api and in nova-bridge's local compute host,
// against a real Keystone (one for this file): the compute host knows its callers by their tokens,
// attaches with the caller's own token, and swaps a migrating volume with the bridge's own (the
// service user `nova`), as Nova does for Cinder.

jest.setTimeout(180_000);

const MIB = 1024 * 1024;
const SPAN = 4 * MIB;
const UNAUTHORIZED =
  'This server could not verify that you are authorized to access the document you requested. Either you supplied the wrong credentials (e.g., bad password), or your browser does not understand how to supply the credentials required.';

let keystone: TestKeystone;
let stack: TestStack;
let demo: IssuedKeystoneToken;
let alt: IssuedKeystoneToken;
let reader: IssuedKeystoneToken;
let admin: IssuedKeystoneToken;

interface Answer {
  status: number;
  headers: Headers;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

async function compute(token: string | undefined, method: string, path: string, body?: unknown): Promise<Answer> {
  const headers: Record<string, string> = token === undefined ? {} : { 'x-auth-token': token };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${stack.computeUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

async function createServer(who: IssuedKeystoneToken, name: string): Promise<string> {
  const res = await compute(who.token, 'POST', '/v2.1/servers', { server: { name } });
  expect(res.status).toBe(202);
  return res.body.server.id as string;
}

const attach = (who: IssuedKeystoneToken, serverId: string, volumeId: string) =>
  compute(who.token, 'POST', `/v2.1/servers/${serverId}/os-volume_attachments`, { volumeAttachment: { volumeId } });

/** A volume of `who`'s project, made through the API with its token, once available. */
async function createVolume(who: IssuedKeystoneToken): Promise<string> {
  const res = await stack.request('POST', `/v3/${who.projectId}/volumes`, { headers: { 'x-auth-token': who.token }, body: { volume: { size: 1 } } });
  if (res.status !== 202) throw new Error(`create: ${res.status} ${res.text}`);
  const id = res.body.volume.id as string;
  await stack.waitFor(async () => (await volumeRow(id))?.status === 'available', `volume ${id} available`);
  return id;
}

async function volumeRow(id: string): Promise<Record<string, unknown>> {
  const [volume] = await stack.sql(`SELECT project_id, status, migration_status, host FROM volumes WHERE id = $1`, [id]);
  const [{ n }] = await stack.sql(`SELECT count(*)::int AS n FROM volume_attachments WHERE volume_id = $1`, [id]);
  return volume && { ...volume, attachments: n };
}

beforeAll(async () => {
  keystone = await TestKeystone.start();
  stack = await TestStack.start({
    apiEnv: keystone.authEnv(),
    // The compute host validates its callers' tokens and acts for swaps as the service user `nova`.
    novaBridge: keystone.authEnv({ KEYSTONE_USERNAME: 'nova', KEYSTONE_PASSWORD: keystone.users.nova.password }),
  });
  [demo, alt, reader, admin] = await Promise.all([keystone.token('demo'), keystone.token('alt_demo'), keystone.token('reader'), keystone.token('admin')]);
}, 300_000);

afterAll(async () => {
  await stack?.stop();
  await keystone?.stop();
}, 60_000);

describe('the local compute host with AUTH_STRATEGY=keystone (real Keystone, volume-api, nova-bridge, workers)', () => {
  it.each([
    ['no token', undefined],
    ['a garbage token', 'gAAAAABnot-a-token'],
  ])('when a caller sends %s, then 401 with Nova’s body and WWW-Authenticate naming Keystone', async (_what, token) => {
    const res = await compute(token, 'POST', '/v2.1/servers', { server: { name: 'anonymous' } });
    expect([res.status, res.body, res.headers.get('www-authenticate')]).toEqual([
      401,
      { unauthorized: { code: 401, message: UNAUTHORIZED } },
      `Keystone uri="${keystone.authUrl}"`,
    ]);
  });

  it('when demo attaches its own volume to its server with its token, then the volume is in-use and demo’s guest does I/O on it', async () => {
    const serverId = await createServer(demo, 'vm-demo');
    const volumeId = await createVolume(demo);
    const res = await attach(demo, serverId, volumeId);
    expect(res.status).toBe(200);
    expect(await volumeRow(volumeId)).toMatchObject({ project_id: demo.projectId, status: 'in-use', attachments: 1 });
    const [server] = await stack.sql(`SELECT project_id, user_id FROM compute_servers WHERE id = $1`, [serverId]);
    expect(server).toEqual({ project_id: demo.projectId, user_id: demo.userId });

    const guest = new ComputeGuest(stack.computeUrl as string, serverId, String(res.body.volumeAttachment.device).replace('/dev/', ''), demo.token, SPAN);
    await guest.fill(4);
    expect((await guest.read(0, SPAN)).equals(guest.model)).toBe(true);
  });

  it('when alt_demo attaches demo’s volume, then volume-api does not show it to alt_demo’s token: 404, untouched; demo’s server is not found to it', async () => {
    const volumeId = await createVolume(demo);
    const altServer = await createServer(alt, 'vm-alt');
    expect(await attach(alt, altServer, volumeId)).toMatchObject({
      status: 404,
      body: { itemNotFound: { code: 404, message: `Volume ${volumeId} could not be found.` } },
    });
    expect(await volumeRow(volumeId)).toMatchObject({ status: 'available', attachments: 0 });

    const demoServer = await createServer(demo, 'vm-demo-2');
    expect(await attach(alt, demoServer, volumeId)).toMatchObject({
      status: 404,
      body: { itemNotFound: { code: 404, message: `Instance ${demoServer} could not be found.` } },
    });
    expect((await attach(demo, demoServer, volumeId)).status).toBe(200);
  });

  it('when demo’s reader (Keystone role reader) attaches to demo’s server, then the policy refuses it: 403 naming Nova’s rule', async () => {
    const serverId = await createServer(demo, 'vm-demo-3');
    const volumeId = await createVolume(demo);
    expect((await compute(reader.token, 'GET', `/v2.1/servers/${serverId}`)).status).toBe(200);
    expect(await attach(reader, serverId, volumeId)).toMatchObject({
      status: 403,
      body: { forbidden: { code: 403, message: "Policy doesn't allow os_compute_api:os-volumes-attachments:create to be performed." } },
    });
    expect(await volumeRow(volumeId)).toMatchObject({ status: 'available', attachments: 0 });
  });

  it('when an admin migrates demo’s attached volume, then the swap, done with the bridge’s own service token, completes and the guest keeps its data', async () => {
    const serverId = await createServer(demo, 'vm-migrate');
    const volumeId = await createVolume(demo);
    const attached = await attach(demo, serverId, volumeId);
    expect(attached.status).toBe(200);
    const device = String(attached.body.volumeAttachment.device).replace('/dev/', '');
    const guest = new ComputeGuest(stack.computeUrl as string, serverId, device, demo.token, SPAN);
    await guest.fill(16);
    await guest.flush();
    const { host } = await volumeRow(volumeId);
    const migrate = await stack.request('POST', `/v3/${admin.projectId}/volumes/${volumeId}/action`, {
      headers: { 'x-auth-token': admin.token },
      body: { 'os-migrate_volume': { host: String(host).startsWith('host-a') ? 'host-b@file#pool1' : 'host-a@file#pool1' } },
    });
    expect(migrate.status).toBe(202);
    await stack.waitFor(
      async () => ['success', 'error'].includes(String((await volumeRow(volumeId)).migration_status)),
      'the migration to end',
      120_000,
    );
    expect(await volumeRow(volumeId)).toMatchObject({ status: 'in-use', migration_status: 'success', attachments: 1 });
    const [swap] = await stack.sql(`SELECT phase, error FROM compute_swaps WHERE server_id = $1`, [serverId]);
    expect(swap).toEqual({ phase: 'completed', error: null });
    expect(String((await volumeRow(volumeId)).host)).not.toBe(host);
    expect((await guest.read(0, SPAN)).equals(guest.model)).toBe(true);
  });
});
