import { hostname } from 'node:os';
import { commonConfigSchema, ConfigOf, env, loadConfig } from '@volume/platform';

export const NOVA_BRIDGE_APP = 'nova-bridge';

export const novaBridgeConfigSchema = {
  ...commonConfigSchema,
  NOVA_BRIDGE_HOST: env.string('Name this bridge reports in os-services', hostname()),
  NOVA_BRIDGE_AVAILABILITY_ZONE: env.string('Zone this bridge reports in os-services', 'nova'),
  NOVA_ADAPTER: env.enum('Compute side: local (built-in compute host) or nova (a real Nova API)', ['local', 'nova'] as const, 'local'),
};

export type NovaBridgeConfig = ConfigOf<typeof novaBridgeConfigSchema>;

export function loadNovaBridgeConfig(source: Record<string, string | undefined> = process.env): NovaBridgeConfig {
  return loadConfig(NOVA_BRIDGE_APP, novaBridgeConfigSchema, source);
}
