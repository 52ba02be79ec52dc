import { Logger } from 'pino';
import { commonConfigSchema, ConfigError, ConfigOf, env, isLoopbackAddress, loadConfig } from '@volume/platform';
import { quotaConfigSchema } from './quotas/quota.config';
import { policyConfigSchema } from '@volume/auth';
import { checkKeystoneConfig, keystoneConfigSchema } from '@volume/auth';

export const apiConfigSchema = {
  ...commonConfigSchema,
  API_HOST: env.string('Address the HTTP API listens on; 0.0.0.0 to serve other machines (containers, a cluster)', '127.0.0.1'),
  API_PORT: env.int('Port the HTTP API listens on (Cinder uses 8776)', 8776, 0),
  AUTH_STRATEGY: env.enum(
    'noauth: X-Auth-Token "user:project" (admin = user "admin" or X-Roles admin; for a machine of your own); keystone: every X-Auth-Token validated with Keystone v3 (KEYSTONE_*), identity headers from clients ignored',
    ['noauth', 'keystone'] as const,
    'noauth',
  ),
  PUBLIC_ENDPOINT: env.string('Base URL for links and version documents (like Cinder public_endpoint); empty = from the request', ''),
  OSAPI_MAX_LIMIT: env.int('Largest page a list returns (Cinder osapi_max_limit)', 1000, 1),
  SERVICE_DOWN_TIME_S: env.int('A service whose last heartbeat is older than this is down (Cinder service_down_time)', 60, 1),
  MIGRATION_PROGRESS_TIMEOUT_MS: env.int('How long GET volume waits for live migration progress before using the persisted value (at most 200)', 200, 1),
  DEFAULT_AVAILABILITY_ZONE: env.string('Availability zone of volumes created without one', 'nova'),
  ...quotaConfigSchema,
  ...policyConfigSchema,
  ...keystoneConfigSchema,
};

export type ApiConfig = ConfigOf<typeof apiConfigSchema>;

export function loadApiConfig(source: Record<string, string | undefined> = process.env): ApiConfig {
  const config = loadConfig('volume-api', apiConfigSchema, source);
  checkKeystoneConfig('volume-api', config);
  if (config.MIGRATION_PROGRESS_TIMEOUT_MS > 200) {
    throw new ConfigError('volume-api', [`MIGRATION_PROGRESS_TIMEOUT_MS=${config.MIGRATION_PROGRESS_TIMEOUT_MS} must be <= 200`]);
  }
  return config;
}

/**
 * noauth believes what callers claim (`X-Roles: admin` makes an admin): harmless on loopback, an
 * open door wherever else the port can be reached. Starting that way is allowed (a compose stack
 * behind a published loopback port does), but never silently.
 */
export function warnIfNoauthIsExposed(config: Pick<ApiConfig, 'AUTH_STRATEGY' | 'API_HOST'>, log: Logger): void {
  if (config.AUTH_STRATEGY !== 'noauth' || isLoopbackAddress(config.API_HOST)) return;
  log.warn(
    { AUTH_STRATEGY: config.AUTH_STRATEGY, API_HOST: config.API_HOST },
    'noauth listens beyond loopback: anyone who reaches this port can act as any user, admin included',
  );
}
