import { join, resolve } from 'node:path';
import { HOST_TOKEN } from '@volume/contracts';
import { DEFAULT_STALL_WARN_S } from '@volume/domain';
import { commonConfigSchema, ConfigError, ConfigOf, env, loadConfig, natsAuthProblems } from '@volume/platform';

export const WORKER_APP = 'volume-worker';

export const workerConfigSchema = {
  ...commonConfigSchema,
  VOLUME_HOST: env.string(
    "This storage host's name, the part before '@' in its volumes' host; letters, digits, '-' or '_'",
  ),
  VOLUME_BACKEND_NAME: env.string("Backend name, the part between '@' and '#' in a volume's host", 'file'),
  VOLUME_DATA_DIR: env.string('Directory holding one sub-directory per pool (empty: .data/<VOLUME_HOST>)', ''),
  VOLUME_POOLS: env.list('Comma-separated pool names', 'pool1,pool2'),
  VOLUME_POOL_CAPACITY_GB: env.int('GiB each pool offers; 0 takes total and free space from the filesystem', 0),
  VOLUME_AVAILABILITY_ZONE: env.string('Availability zone of this host', 'nova'),
  VOLUME_RESERVED_PERCENTAGE: env.int('Percentage of each pool the scheduler keeps free', 0),
  VOLUME_MAX_OVER_SUBSCRIPTION_RATIO: env.string('Thin-provisioning over-subscription ratio, a number >= 1', '20.0'),
  VOLUME_COPY_BPS_LIMIT: env.int('Bytes per second all migration copies of this host may read together; 0 = unlimited (Cinder volume_copy_bps_limit)', 0),
  VOLUME_COPY_DIRECT_IO: env.bool('Migration copies read and write with O_DIRECT, bypassing the page cache, where the filesystem allows it (as Cinder copies with dd iflag=direct oflag=direct)', true),
  VOLUME_DATA_BIND: env.string('Address the migration data port listens on', '127.0.0.1'),
  VOLUME_DATA_PORT: env.int('Port of the worker-to-worker migration data stream; 0 = any free port', 0),
  VOLUME_DATA_ADVERTISE_HOST: env.string('Address other workers use to reach the data port (a pod IP on Kubernetes)', '127.0.0.1'),
  MIGRATION_CREATE_TIMEOUT_S: env.int("Seconds a migration waits for its destination volume to be created (Cinder's migration_create_volume_timeout_secs)", 300, 1),
  SERVICE_DOWN_TIME_S: env.int('A service whose last heartbeat is older than this is down (Cinder service_down_time)', 60, 1),
  MIGRATION_STALL_WARN_S: env.int('Seconds without copied bytes after which a migration shows eta_state stalled (advisory: it is never ended for it)', DEFAULT_STALL_WARN_S, 1),
  MIGRATION_PEER_WAIT_S: env.int(
    'Seconds a migration waits for its destination host once that host is down (heartbeat older than SERVICE_DOWN_TIME_S) before it ends in error; a host that comes back sooner resumes the copy',
    300,
    1,
  ),
};

type RawWorkerConfig = ConfigOf<typeof workerConfigSchema>;

/** The parsed configuration: the data directory is absolute and the ratio a number. */
export type WorkerConfig = Omit<RawWorkerConfig, 'VOLUME_MAX_OVER_SUBSCRIPTION_RATIO'> & {
  VOLUME_MAX_OVER_SUBSCRIPTION_RATIO: number;
};

const TOKEN_RULE = "letters, digits, '-' or '_'";

/** Rules the generic schema kinds cannot express; each returns a problem or nothing. */
const refinements: { [K in keyof RawWorkerConfig]?: (value: RawWorkerConfig[K]) => string | undefined } = {
  // The host is a NATS subject token and the first part of `host@backend#pool`.
  VOLUME_HOST: (v) =>
    HOST_TOKEN.test(v) ? undefined : `VOLUME_HOST=${JSON.stringify(v)} must be made only of ${TOKEN_RULE}`,
  VOLUME_BACKEND_NAME: (v) =>
    HOST_TOKEN.test(v) ? undefined : `VOLUME_BACKEND_NAME=${JSON.stringify(v)} must be made only of ${TOKEN_RULE}`,
  // Pool names become directory names, so they must not hold '/' or '..'.
  VOLUME_POOLS: (v) => {
    if (v.length === 0) return 'VOLUME_POOLS must name at least one pool';
    const bad = v.filter((p) => !HOST_TOKEN.test(p));
    if (bad.length) return `VOLUME_POOLS: ${bad.map((p) => JSON.stringify(p)).join(', ')} must be made only of ${TOKEN_RULE}`;
    if (new Set(v).size !== v.length) return `VOLUME_POOLS=${JSON.stringify(v.join(','))} names a pool twice`;
    return undefined;
  },
  VOLUME_RESERVED_PERCENTAGE: (v) => (v <= 100 ? undefined : `VOLUME_RESERVED_PERCENTAGE=${v} must be <= 100`),
  // Cinder refuses ratios below 1; `auto` is not supported here.
  VOLUME_MAX_OVER_SUBSCRIPTION_RATIO: (v) =>
    /^\d+(\.\d+)?$/.test(v.trim()) && Number(v) >= 1
      ? undefined
      : `VOLUME_MAX_OVER_SUBSCRIPTION_RATIO=${JSON.stringify(v)} must be a number >= 1`,
};

/**
 * Parses each variable on its own, so that one bad value does not hide another: the error names
 * every offending variable at once.
 */
export function loadWorkerConfig(source: Record<string, string | undefined> = process.env): WorkerConfig {
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(workerConfigSchema)) {
    let value: unknown;
    try {
      value = loadConfig(WORKER_APP, { [name]: spec }, source)[name];
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(...err.problems);
      continue;
    }
    const refine = refinements[name as keyof RawWorkerConfig] as ((v: unknown) => string | undefined) | undefined;
    const problem = refine?.(value);
    if (problem) problems.push(problem);
    else values[name] = value;
  }
  // Checked together, since they are parsed one by one above.
  problems.push(...natsAuthProblems(values));
  if (problems.length) throw new ConfigError(WORKER_APP, problems);
  const raw = values as RawWorkerConfig;
  return {
    ...raw,
    VOLUME_DATA_DIR: resolve(raw.VOLUME_DATA_DIR || join('.data', raw.VOLUME_HOST)),
    VOLUME_MAX_OVER_SUBSCRIPTION_RATIO: Number(raw.VOLUME_MAX_OVER_SUBSCRIPTION_RATIO),
  };
}
