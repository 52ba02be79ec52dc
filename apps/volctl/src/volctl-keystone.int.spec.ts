import { TestKeystone } from '@volume/testing';
import { TestStack } from '@volume/testing-stack';
import { runVolctl } from './test-support/run-volctl';

// volctl's Keystone password authentication (libs/auth's KeystoneClient, bundled) against a real
// Keystone whose catalog names the stack's API, which validates the tokens there.
jest.setTimeout(120_000);

describe('volctl with a real Keystone', () => {
  let keystone: TestKeystone;
  let stack: TestStack;

  beforeAll(async () => {
    keystone = await TestKeystone.start();
    stack = await TestStack.start({ apiEnv: keystone.authEnv() });
    await stack.api.app.listen(0, '127.0.0.1');
    const { port } = stack.api.app.getHttpServer().address() as { port: number };
    await keystone.registerVolumeEndpoint(`http://127.0.0.1:${port}/v3/%(project_id)s`);
  });

  afterAll(async () => {
    await stack?.stop();
    await keystone?.stop();
  });

  it('when an admin gives OS_* credentials, then volctl finds the API in the catalog and lists the pools with its token', async () => {
    const res = await runVolctl(['pools', '-f', 'value', '-c', 'Name'], keystone.cliEnv('admin'));
    expect(res).toMatchObject({ code: 0, stderr: '' });
    expect(res.stdout.trim().split('\n').sort()).toEqual(['host-a@file#pool1', 'host-a@file#pool2', 'host-b@file#pool1', 'host-b@file#pool2']);
  });

  it('when the password is wrong, then exit 3 saying Keystone refused it; when a member asks for migrations, then exit 3 with the policy', async () => {
    const refused = await runVolctl(['pools'], { ...keystone.cliEnv('admin'), OS_PASSWORD: 'not-the-password' });
    expect(refused).toEqual({ code: 3, stdout: '', stderr: 'volctl: Keystone refused the credentials (HTTP 401)\n' });
    const member = await runVolctl(['migrations', 'list'], keystone.cliEnv('demo'));
    expect(member).toEqual({ code: 3, stdout: '', stderr: "volctl: Policy doesn't allow volume_extension:volume_migrations:index to be performed.\n" });
  });
});
