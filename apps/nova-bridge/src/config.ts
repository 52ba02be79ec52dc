import { hostname } from 'node:os';
import { checkKeystoneConfig, keystoneConfigSchema, policyConfigSchema } from '@volume/auth';
import { DEFAULT_STALL_WARN_S } from '@volume/domain';
import { commonConfigSchema, ConfigError, ConfigOf, env, loadConfig } from '@volume/platform';

export const NOVA_BRIDGE_APP = 'nova-bridge';

export const novaBridgeConfigSchema = {
  ...commonConfigSchema,
  NOVA_BRIDGE_HOST: env.string('Name this bridge reports in os-services', hostname()),
  NOVA_BRIDGE_AVAILABILITY_ZONE: env.string('Zone this bridge reports in os-services', 'nova'),
  NOVA_ADAPTER: env.enum('Compute side: local (built-in compute host) or nova (a real Nova API)', ['local', 'nova'] as const, 'local'),

  // The volume API, as the compute side calls it (attachments, begin/roll detaching, migration completion).
  VOLUME_API_URL: env.url('Base URL of volume-api (without /v3), as the compute side calls it', 'http://127.0.0.1:8776'),
  VOLUME_API_USER: env.string('local adapter, noauth: user it calls volume-api as for swaps (noauth token; it sends X-Roles: service)', 'nova'),

  // local adapter: the built-in compute host.
  COMPUTE_API_PORT: env.int('local adapter: port of the compute API (servers, volume attachments, guest I/O)', 8774),
  COMPUTE_API_BIND: env.string('local adapter: address the compute API listens on', '127.0.0.1'),
  AUTH_STRATEGY: env.enum(
    'local adapter: how the compute API knows its callers, as volume-api does. noauth: X-Auth-Token "user:project" (for a machine of your own); keystone: every X-Auth-Token validated with Keystone v3 (KEYSTONE_*), volume-api called with the caller\'s token, and swaps with the bridge\'s own (KEYSTONE_USERNAME needs the service role)',
    ['noauth', 'keystone'] as const,
    'noauth',
  ),
  ...keystoneConfigSchema,
  ...policyConfigSchema,
  SWAP_STALL_TIMEOUT_S: env.int(
    'local adapter: a swap whose copy makes no progress for this long is cancelled before its pivot (the guest stays on the source)',
    300,
    1,
  ),

  MIGRATION_STALL_WARN_S: env.int(
    'local adapter: seconds without copied bytes after which a swap shows eta_state stalled (advisory, as on the workers; SWAP_STALL_TIMEOUT_S is what ends one)',
    DEFAULT_STALL_WARN_S,
    1,
  ),
  SWAP_COPY_BPS_LIMIT: env.int('local adapter: bytes per second a swap mirror copies at most (guest writes are never limited); 0 = unlimited', 0),

  // nova adapter: a real Nova, as Cinder's [nova] section configures it.
  NOVA_AUTH_URL: env.string('nova adapter: Keystone v3 URL of the service user (required with NOVA_ADAPTER=nova)', ''),
  NOVA_USERNAME: env.string('nova adapter: service user name (it needs the `service` role in Nova 2025.2+)', ''),
  NOVA_PASSWORD: env.string('nova adapter: service user password (a secret: set it from a Secret, never in files)', ''),
  NOVA_USER_DOMAIN_NAME: env.string('nova adapter: the user domain', 'Default'),
  NOVA_PROJECT_NAME: env.string('nova adapter: project the service user scopes to', ''),
  NOVA_PROJECT_DOMAIN_NAME: env.string('nova adapter: the project domain', 'Default'),
  NOVA_REGION_NAME: env.string('nova adapter: region of the compute endpoint in the catalog; empty = any', ''),
  NOVA_INTERFACE: env.enum('nova adapter: catalog interface of the compute endpoint', ['public', 'internal', 'admin'] as const, 'public'),
  NOVA_ENDPOINT_OVERRIDE: env.string('nova adapter: compute endpoint to use instead of the catalog one; empty = catalog', ''),
  NOVA_TIMEOUT_S: env.int('nova adapter: seconds one Nova or Keystone request may take', 30, 1),
};

export type NovaBridgeConfig = ConfigOf<typeof novaBridgeConfigSchema>;

export function loadNovaBridgeConfig(source: Record<string, string | undefined> = process.env): NovaBridgeConfig {
  const config = loadConfig(NOVA_BRIDGE_APP, novaBridgeConfigSchema, source);
  checkKeystoneConfig(NOVA_BRIDGE_APP, config);
  if (config.NOVA_ADAPTER === 'nova') {
    const missing = (['NOVA_AUTH_URL', 'NOVA_USERNAME', 'NOVA_PASSWORD', 'NOVA_PROJECT_NAME'] as const).filter((k) => !config[k]);
    if (missing.length) {
      throw new ConfigError(
        NOVA_BRIDGE_APP,
        missing.map((k) => `${k} is required with NOVA_ADAPTER=nova (${novaBridgeConfigSchema[k].description})`),
      );
    }
    try {
      new URL(config.NOVA_AUTH_URL);
    } catch {
      throw new ConfigError(NOVA_BRIDGE_APP, [`NOVA_AUTH_URL=${JSON.stringify(config.NOVA_AUTH_URL)} is not a URL`]);
    }
  }
  return config;
}
