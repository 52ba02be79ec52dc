import { ConfigError } from '@volume/platform';
import { loadNovaBridgeConfig } from '../config';

const complete = {
  NOVA_ADAPTER: 'nova',
  NOVA_AUTH_URL: 'http://keystone/identity',
  NOVA_USERNAME: 'cinder',
  NOVA_PASSWORD: 'pw',
  NOVA_PROJECT_NAME: 'service',
};

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadNovaBridgeConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('configuration was accepted');
}

describe('nova-bridge configuration of the nova adapter', () => {
  it('when NOVA_ADAPTER=nova has no credentials, then every missing variable is named at once', () => {
    const problems = problemsOf({ NOVA_ADAPTER: 'nova' });
    expect(problems).toHaveLength(4);
    for (const [i, name] of ['NOVA_AUTH_URL', 'NOVA_USERNAME', 'NOVA_PASSWORD', 'NOVA_PROJECT_NAME'].entries()) {
      expect(problems[i]).toMatch(new RegExp(`^${name} is required with NOVA_ADAPTER=nova`));
    }
    expect(() => loadNovaBridgeConfig({ NOVA_ADAPTER: 'nova' })).toThrow(/^nova-bridge: invalid configuration:/);
  });

  it.each(['NOVA_AUTH_URL', 'NOVA_USERNAME', 'NOVA_PASSWORD', 'NOVA_PROJECT_NAME'])('when only %s is missing, then only it is named', (name) => {
    expect(problemsOf({ ...complete, [name]: '' })).toEqual([expect.stringMatching(new RegExp(`^${name} is required with NOVA_ADAPTER=nova`))]);
  });

  it('when NOVA_AUTH_URL is not a URL, then it is refused', () => {
    expect(problemsOf({ ...complete, NOVA_AUTH_URL: 'keystone' })).toEqual(['NOVA_AUTH_URL="keystone" is not a URL']);
  });

  it('when everything is set, then the defaults are Cinder’s [nova] ones (public interface, any region, Default domains, 30 s)', () => {
    expect(loadNovaBridgeConfig(complete)).toMatchObject({
      NOVA_INTERFACE: 'public',
      NOVA_REGION_NAME: '',
      NOVA_ENDPOINT_OVERRIDE: '',
      NOVA_USER_DOMAIN_NAME: 'Default',
      NOVA_PROJECT_DOMAIN_NAME: 'Default',
      NOVA_TIMEOUT_S: 30,
    });
  });

  it('when the local adapter is used, then no NOVA_* credentials are needed', () => {
    expect(loadNovaBridgeConfig({}).NOVA_ADAPTER).toBe('local');
  });

  it('when NOVA_INTERFACE or NOVA_TIMEOUT_S is invalid, then it is refused', () => {
    expect(problemsOf({ ...complete, NOVA_INTERFACE: 'private', NOVA_TIMEOUT_S: '0' })).toEqual([
      'NOVA_INTERFACE="private" must be one of public, internal, admin',
      'NOVA_TIMEOUT_S=0 must be >= 1',
    ]);
  });
});
