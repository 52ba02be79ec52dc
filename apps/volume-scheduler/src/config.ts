import { hostname } from 'node:os';
import { commonConfigSchema, ConfigOf, env, loadConfig } from '@volume/platform';

export const SCHEDULER_APP = 'volume-scheduler';

export const schedulerConfigSchema = {
  ...commonConfigSchema,
  SCHEDULER_HOST: env.string('Name this scheduler reports in os-services (one per replica)', hostname()),
  SCHEDULER_AVAILABILITY_ZONE: env.string('Zone this scheduler reports in os-services', 'nova'),
  CAPACITY_WEIGHT_MULTIPLIER: env.string('CapacityWeigher multiplier: positive spreads, negative stacks (Cinder capacity_weight_multiplier)', '1.0'),
  SERVICE_DOWN_TIME_S: env.int('Pools of a worker whose heartbeat is older than this are not placed on', 60, 1),
  MIGRATION_STALL_TIMEOUT_S: env.int(
    'A migration whose runner reports nothing for this long ends in error, once the host running it is down too (heartbeat older than SERVICE_DOWN_TIME_S): a live host with a slow copy is never cut off',
    900,
    5,
  ),
  MIGRATION_HISTORY_DAYS: env.int('Days a finished migration stays in GET /volume-migrations before it is purged', 90, 1),
  MIGRATION_SOURCE_WAIT_S: env.int('How long the start of a migration on its source host is retried while that host does not answer (restarting); then it ends in error', 60, 0),
  CREATE_HOST_WAIT_S: env.int('How long the call that creates a placed volume on its host is retried (backoff) while that host does not answer (restarting); then the volume ends in error', 60, 0),
  STALE_CREATE_S: env.int('At start, unplaced volumes still creating after this many seconds go to error', 120, 1),
};

export type SchedulerConfig = ConfigOf<typeof schedulerConfigSchema>;

export function loadSchedulerConfig(source: Record<string, string | undefined> = process.env): SchedulerConfig {
  const config = loadConfig(SCHEDULER_APP, schedulerConfigSchema, source);
  if (!Number.isFinite(Number(config.CAPACITY_WEIGHT_MULTIPLIER))) {
    throw new Error(`${SCHEDULER_APP}: CAPACITY_WEIGHT_MULTIPLIER=${config.CAPACITY_WEIGHT_MULTIPLIER} is not a number`);
  }
  return config;
}
