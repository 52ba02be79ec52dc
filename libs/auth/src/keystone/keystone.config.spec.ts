import { ConfigError, loadConfig } from '@volume/platform';
import { AuthConfig, checkKeystoneConfig, keystoneBaseUrl, keystoneConfigSchema, wwwAuthenticate } from './keystone.config';

function config(env: Record<string, string>, strategy: 'noauth' | 'keystone' = 'keystone'): AuthConfig {
  return { AUTH_STRATEGY: strategy, ...loadConfig('test', keystoneConfigSchema, env) };
}

function problems(c: AuthConfig): string[] {
  try {
    checkKeystoneConfig('volume-api', c);
    return [];
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.problems;
  }
}

describe('keystone settings', () => {
  it('when keystone mode has no auth URL, user or password, then start is refused naming each of them', () => {
    expect(problems(config({}))).toEqual([
      expect.stringMatching(/^KEYSTONE_AUTH_URL is required with AUTH_STRATEGY=keystone/),
      expect.stringMatching(/^KEYSTONE_USERNAME is required/),
      expect.stringMatching(/^KEYSTONE_PASSWORD is required/),
    ]);
  });

  it('when noauth is chosen, then no keystone setting is needed', () => {
    expect(problems(config({}, 'noauth'))).toEqual([]);
  });

  it('when a URL is not http(s), then start is refused', () => {
    const c = config({ KEYSTONE_AUTH_URL: 'keystone:5000', KEYSTONE_USERNAME: 'cinder', KEYSTONE_PASSWORD: 'x', KEYSTONE_WWW_AUTHENTICATE_URI: 'ftp://k' });
    expect(problems(c)).toEqual([expect.stringContaining('KEYSTONE_AUTH_URL="keystone:5000" is not an http(s) URL'), expect.stringContaining('KEYSTONE_WWW_AUTHENTICATE_URI')]);
  });

  it('when complete, then the defaults are Cinder\'s: project service, domains Default, 300 s cache, role service, 5 s timeout', () => {
    const c = config({ KEYSTONE_AUTH_URL: 'http://keystone:5000/v3', KEYSTONE_USERNAME: 'cinder', KEYSTONE_PASSWORD: 'x' });
    expect(problems(c)).toEqual([]);
    expect([c.KEYSTONE_PROJECT_NAME, c.KEYSTONE_USER_DOMAIN_NAME, c.KEYSTONE_PROJECT_DOMAIN_NAME, c.KEYSTONE_TOKEN_CACHE_S, c.KEYSTONE_SERVICE_TOKEN_ROLES, c.KEYSTONE_TIMEOUT_S]).toEqual([
      'service', 'Default', 'Default', 300, ['service'], 5,
    ]);
  });

  it('when a 401 names Keystone, then it is the public URI, or else the auth URL; noauth names none', () => {
    const base = { KEYSTONE_AUTH_URL: 'http://keystone:5000/v3', KEYSTONE_USERNAME: 'cinder', KEYSTONE_PASSWORD: 'x' };
    expect(wwwAuthenticate(config(base))).toBe('Keystone uri="http://keystone:5000/v3"');
    expect(wwwAuthenticate(config({ ...base, KEYSTONE_WWW_AUTHENTICATE_URI: 'https://id.example' }))).toBe('Keystone uri="https://id.example"');
    expect(wwwAuthenticate(config(base, 'noauth'))).toBeUndefined();
  });

  it.each([['http://k:5000'], ['http://k:5000/'], ['http://k:5000/v3'], ['http://k:5000/v3/']])('when the auth URL is %s, then requests go to http://k:5000/v3/...', (url) => {
    expect(keystoneBaseUrl(url)).toBe('http://k:5000');
  });

  it.each([['http://ks/identity'], ['http://ks/identity/'], ['http://ks/identity/v3'], ['http://ks/identity/v3/']])(
    'when the auth URL is %s (Keystone under a path, as devstack serves it), then requests go to http://ks/identity/v3/...',
    (url) => {
      expect(keystoneBaseUrl(url)).toBe('http://ks/identity');
    },
  );
});
