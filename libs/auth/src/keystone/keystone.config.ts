import { ConfigError, ConfigOf, env } from '@volume/platform';

/**
 * How a port validates tokens with Keystone (keystonemiddleware's `[keystone_authtoken]`): the
 * service user whose token asks Keystone about callers' tokens, and the bounds of the token cache.
 */
export const keystoneConfigSchema = {
  KEYSTONE_AUTH_URL: env.string(
    'Keystone identity URL tokens are validated with, with or without its /v3 (e.g. http://keystone:5000/v3); required with AUTH_STRATEGY=keystone',
    '',
  ),
  KEYSTONE_WWW_AUTHENTICATE_URI: env.string(
    'Public Keystone URL a 401 names (WWW-Authenticate: Keystone uri="..."), where clients get tokens; empty = KEYSTONE_AUTH_URL',
    '',
  ),
  KEYSTONE_USERNAME: env.string('Service user whose token validates callers\' tokens (Keystone role service or admin); required with AUTH_STRATEGY=keystone', ''),
  KEYSTONE_PASSWORD: env.string('Password of KEYSTONE_USERNAME (from a Secret; never logged); required with AUTH_STRATEGY=keystone', ''),
  KEYSTONE_PROJECT_NAME: env.string('Project the service user\'s token is scoped to', 'service'),
  KEYSTONE_USER_DOMAIN_NAME: env.string('Domain of KEYSTONE_USERNAME', 'Default'),
  KEYSTONE_PROJECT_DOMAIN_NAME: env.string('Domain of KEYSTONE_PROJECT_NAME', 'Default'),
  KEYSTONE_TOKEN_CACHE_S: env.int('Seconds a validated token is trusted without asking Keystone again (never past its expiry; keystonemiddleware token_cache_time)', 300, 0),
  KEYSTONE_SERVICE_TOKEN_ROLES: env.list(
    'Roles a valid X-Service-Token must have (one of them) to give the request the service role (keystonemiddleware service_token_roles)',
    'service',
  ),
  KEYSTONE_TIMEOUT_S: env.int('Seconds to wait for Keystone before answering 503', 5, 1),
};

export type KeystoneConfig = ConfigOf<typeof keystoneConfigSchema>;

/** What chooses the strategy: every port that authenticates reads AUTH_STRATEGY besides these. */
export type AuthConfig = KeystoneConfig & { AUTH_STRATEGY: 'noauth' | 'keystone' };

/** KEYSTONE_AUTH_URL without a trailing `/v3` or slash: the requests add `/v3/auth/tokens`. */
export function keystoneBaseUrl(authUrl: string): string {
  return authUrl.replace(/\/+$/, '').replace(/\/v3$/, '');
}

/** `Keystone uri="..."`, what keystonemiddleware sends with every 401 so that clients find Keystone. */
export function wwwAuthenticate(config: AuthConfig): string | undefined {
  if (config.AUTH_STRATEGY !== 'keystone') return undefined;
  return `Keystone uri="${config.KEYSTONE_WWW_AUTHENTICATE_URI || config.KEYSTONE_AUTH_URL}"`;
}

function isHttpUrl(value: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

/** Refuses to start keystone mode without what it needs to validate a single token. */
export function checkKeystoneConfig(app: string, config: AuthConfig): void {
  if (config.AUTH_STRATEGY !== 'keystone') return;
  const problems: string[] = [];
  for (const name of ['KEYSTONE_AUTH_URL', 'KEYSTONE_USERNAME', 'KEYSTONE_PASSWORD'] as const) {
    if (!config[name]) problems.push(`${name} is required with AUTH_STRATEGY=keystone (${keystoneConfigSchema[name].description})`);
  }
  for (const name of ['KEYSTONE_AUTH_URL', 'KEYSTONE_WWW_AUTHENTICATE_URI'] as const) {
    if (config[name] && !isHttpUrl(config[name])) problems.push(`${name}=${JSON.stringify(config[name])} is not an http(s) URL`);
  }
  if (config.KEYSTONE_SERVICE_TOKEN_ROLES.length === 0) problems.push('KEYSTONE_SERVICE_TOKEN_ROLES must name at least one role');
  if (problems.length) throw new ConfigError(app, problems);
}
