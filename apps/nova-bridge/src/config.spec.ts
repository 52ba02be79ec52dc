import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@volume/platform';
import { createNovaBridgeApp } from './bootstrap';
import { loadNovaBridgeConfig } from './config';

// What nova-bridge refuses at start about who its compute API serves: Keystone without its settings,
// a policy file it cannot use. Both stop it before it connects to anything.

describe('nova-bridge configuration: identity and policy', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nova-bridge-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('when nothing is set, then the compute API is noauth with the default policy file (none)', () => {
    expect(loadNovaBridgeConfig({})).toMatchObject({ AUTH_STRATEGY: 'noauth', POLICY_FILE: '' });
  });

  it('when AUTH_STRATEGY=keystone lacks the Keystone settings, then it refuses to start naming each', () => {
    let error: unknown;
    try {
      loadNovaBridgeConfig({ AUTH_STRATEGY: 'keystone' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    for (const name of ['KEYSTONE_AUTH_URL', 'KEYSTONE_USERNAME', 'KEYSTONE_PASSWORD']) {
      expect((error as Error).message).toContain(`${name} is required with AUTH_STRATEGY=keystone`);
    }
  });

  it('when AUTH_STRATEGY=keystone has them, then it loads', () => {
    const config = loadNovaBridgeConfig({ AUTH_STRATEGY: 'keystone', KEYSTONE_AUTH_URL: 'http://keystone:5000/v3', KEYSTONE_USERNAME: 'nova', KEYSTONE_PASSWORD: 'pw' });
    expect(config).toMatchObject({ AUTH_STRATEGY: 'keystone', KEYSTONE_USERNAME: 'nova', KEYSTONE_PROJECT_NAME: 'service' });
  });

  it('when POLICY_FILE names an unknown rule, then the app does not start, naming the file and the line', async () => {
    const file = join(dir, 'policy.yaml');
    writeFileSync(file, '"os_compute_api:servers:show": "@"\n"os_compute_api:servers:shw": "@"\n');
    const start = createNovaBridgeApp({ POLICY_FILE: file, NATS_URL: 'nats://127.0.0.1:9', DATABASE_URL: 'postgres://nobody@127.0.0.1:9/none' });
    await expect(start).rejects.toBeInstanceOf(ConfigError);
    await expect(start).rejects.toThrow(`POLICY_FILE: policy file ${file} line 2: unknown rule "os_compute_api:servers:shw"`);
  });
});
