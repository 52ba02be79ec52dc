import { Logger } from 'pino';
import { DEFAULT_STALL_WARN_S } from '@volume/domain';
import { commonConfigSchema, ConfigError, ConfigOf, env, isLoopbackAddress, loadConfig } from '@volume/platform';
import { quotaConfigSchema } from './quotas/quota.config';
import { migrationEventsConfigProblems, migrationEventsConfigSchema } from './volume-migrations/events/migration-events.config';
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
  MIGRATION_STALL_WARN_S: env.int('Seconds without copied bytes after which a migration shows eta_state stalled (3.73; advisory only)', DEFAULT_STALL_WARN_S, 1),
  CONSOLE_DIR: env.string('Directory of the built web console served at /console/ (nx build console); relative to the working directory', 'dist/apps/console'),
  DEFAULT_AVAILABILITY_ZONE: env.string('Availability zone of volumes created without one', 'nova'),
  HTTP_HEADERS_TIMEOUT_MS: env.int('A connection whose request line and headers have not all arrived this long after it opened (or its request began) is answered 408 and closed', 20_000, 1),
  HTTP_REQUEST_TIMEOUT_MS: env.int('A request whose body has not all arrived this long after it began is answered 408 and closed (at least HTTP_HEADERS_TIMEOUT_MS)', 60_000, 1),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: env.int('An idle keep-alive connection is closed after this long (above the 60 s idle timeout of common proxies, which then close first)', 72_000, 1),
  HTTP_CONNECTION_TIMEOUT_MS: env.int(
    'A connection on which nothing is read or written this long, once its request is in (a client that stops reading its answer), is closed; 0 = never (above HTTP_REQUEST_TIMEOUT_MS and any answer the API waits for)',
    300_000,
    0,
  ),
  ...quotaConfigSchema,
  ...migrationEventsConfigSchema,
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
  const problems = [...httpTimeoutProblems(config), ...migrationEventsConfigProblems(config)];
  if (problems.length) throw new ConfigError('volume-api', problems);
  return config;
}

/**
 * The order the timeouts must keep: Node refuses a headers timeout above the request timeout, and a
 * connection timeout at or under the request timeout would close a stalled request before its 408.
 */
function httpTimeoutProblems(config: ApiConfig): string[] {
  const { HTTP_HEADERS_TIMEOUT_MS: headers, HTTP_REQUEST_TIMEOUT_MS: request, HTTP_CONNECTION_TIMEOUT_MS: connection } = config;
  const problems: string[] = [];
  if (headers > request) problems.push(`HTTP_HEADERS_TIMEOUT_MS=${headers} must be <= HTTP_REQUEST_TIMEOUT_MS=${request}`);
  if (connection !== 0 && connection <= request) {
    problems.push(`HTTP_CONNECTION_TIMEOUT_MS=${connection} must be 0 or > HTTP_REQUEST_TIMEOUT_MS=${request}`);
  }
  return problems;
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
