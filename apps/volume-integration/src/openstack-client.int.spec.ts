import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KeystoneUserName, TestKeystone } from '@volume/testing';
import { TestStack } from '@volume/testing-stack';

// The real `openstack` client (python3-openstackclient) against the stack with AUTH_STRATEGY=keystone
// and a real Keystone whose catalogue lists this API as `volumev3`: what an operator types.

const run = promisify(execFile);

let keystone: TestKeystone;
let stack: TestStack;
let configDir: string;
let cloudsYaml: string;

async function openstack(user: KeystoneUserName, args: string[]): Promise<string> {
  // Nothing of this machine's own OS_* settings.
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    LANG: 'C.UTF-8',
    ...keystone.cliEnv(user),
    OS_CLIENT_CONFIG_FILE: cloudsYaml,
    OS_CLOUD: 'test',
  };
  try {
    const { stdout } = await run('openstack', args, { env, timeout: 120_000 });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; code?: string | number };
    if (e.code === 'ENOENT') throw new Error('the openstack client is missing: apt-get install python3-openstackclient');
    throw new Error(`openstack ${args.join(' ')} failed (${e.code}):\n${e.stderr}`);
  }
}

const json = async (user: KeystoneUserName, args: string[]) => JSON.parse(await openstack(user, [...args, '-f', 'json']));

beforeAll(async () => {
  // Debian's client (6.0) makes its image client on every `volume create`, even without --image, and
  // there is no image service here: an endpoint of a known version is never asked anything.
  configDir = await mkdtemp(join(tmpdir(), 'openstack-client-'));
  cloudsYaml = join(configDir, 'clouds.yaml');
  await writeFile(cloudsYaml, 'clouds:\n  test:\n    image_api_version: "2"\n    image_endpoint_override: http://127.0.0.1:9/v2/\n');
  keystone = await TestKeystone.start();
  stack = await TestStack.start({ apiEnv: keystone.authEnv() });
  await stack.api.app.listen(0, '127.0.0.1');
  const { port } = stack.api.app.getHttpServer().address() as { port: number };
  await keystone.registerVolumeEndpoint(`http://127.0.0.1:${port}/v3/%(project_id)s`);
}, 300_000);

afterAll(async () => {
  await stack?.stop();
  await keystone?.stop();
  if (configDir) await rm(configDir, { recursive: true, force: true });
}, 60_000);

describe('the openstack client against the stack with Keystone', () => {
  let volumeId: string;

  it('when demo runs volume create, list and show, then its volume is made in its project and becomes available', async () => {
    const created = await json('demo', ['volume', 'create', '--size', '1', 'cli-vol']);
    volumeId = created.id;
    expect(created).toMatchObject({ name: 'cli-vol', size: 1 });
    await stack.waitFor(async () => (await stack.sql('SELECT status FROM volumes WHERE id = $1', [volumeId]))[0]?.status === 'available', 'cli-vol available', 30_000);

    const listed: { ID: string; Name: string; Status: string }[] = await json('demo', ['volume', 'list']);
    expect(listed.map((v) => [v.ID, v.Name, v.Status])).toEqual([[volumeId, 'cli-vol', 'available']]);
    const shown = await json('demo', ['volume', 'show', volumeId]);
    expect(shown).toMatchObject({ id: volumeId, status: 'available', 'os-vol-tenant-attr:tenant_id': keystone.projects.demo });
    expect(shown).not.toHaveProperty('os-vol-host-attr:host');
  }, 180_000);

  it('when another project lists, then it sees nothing of demo\'s', async () => {
    expect(await json('alt_demo', ['volume', 'list'])).toEqual([]);
  }, 60_000);

  it('when demo runs volume migrate, then it is refused; when the admin does, the volume moves to the other host', async () => {
    const [{ host }] = await stack.sql('SELECT host FROM volumes WHERE id = $1', [volumeId]);
    const target = host.startsWith('host-a') ? 'host-b@file#pool1' : 'host-a@file#pool1';
    await expect(openstack('demo', ['volume', 'migrate', '--host', target, volumeId])).rejects.toThrow(/Policy doesn't allow|403/);

    await openstack('admin', ['--os-volume-api-version', '3.16', 'volume', 'migrate', '--host', target, volumeId]);
    await stack.waitFor(
      async () => (await stack.sql('SELECT migration_status FROM volumes WHERE id = $1', [volumeId]))[0]?.migration_status === 'success',
      'the migration to end',
      60_000,
    );
    const shown = await json('admin', ['volume', 'show', volumeId]);
    expect(shown).toMatchObject({ 'os-vol-host-attr:host': target, status: 'available', migration_status: 'success' });
  }, 180_000);

  it('when demo deletes its volume, then it is gone', async () => {
    await openstack('demo', ['volume', 'delete', volumeId]);
    const demo = { 'x-auth-token': (await keystone.token('demo')).token };
    const url = `/v3/${keystone.projects.demo}/volumes/${volumeId}`;
    await stack.waitFor(async () => (await stack.request('GET', url, { headers: demo })).status === 404, 'cli-vol deleted', 30_000);
    expect(await json('demo', ['volume', 'list'])).toEqual([]);
  }, 120_000);
});
