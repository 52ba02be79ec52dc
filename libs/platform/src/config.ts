import { natsAuthProblems } from './nats-auth';

/**
 * Configuration comes from the environment only, validated once at start. Each app declares one
 * schema (the single source for its variables, their defaults and their docs); a bad value stops
 * the app with a message that names every offending variable.
 */
export type VarKind = 'string' | 'int' | 'url' | 'bool' | 'list' | 'enum';

export interface VarSpec<T> {
  kind: VarKind;
  description: string;
  /** Raw default as it would be written in the environment; absent means required. */
  default?: string;
  values?: readonly string[];
  min?: number;
  /** Parsed value type marker; never set at run time. */
  readonly __type?: T;
}

export const env = {
  string: (description: string, def?: string): VarSpec<string> => ({ kind: 'string', description, default: def }),
  url: (description: string, def?: string): VarSpec<string> => ({ kind: 'url', description, default: def }),
  int: (description: string, def?: number, min = 0): VarSpec<number> => ({
    kind: 'int',
    description,
    default: def === undefined ? undefined : String(def),
    min,
  }),
  bool: (description: string, def?: boolean): VarSpec<boolean> => ({
    kind: 'bool',
    description,
    default: def === undefined ? undefined : String(def),
  }),
  list: (description: string, def?: string): VarSpec<string[]> => ({ kind: 'list', description, default: def }),
  enum: <V extends string>(description: string, values: readonly V[], def?: V): VarSpec<V> => ({
    kind: 'enum',
    description,
    values,
    default: def,
  }),
};

export type ConfigSchema = Record<string, VarSpec<unknown>>;
export type ConfigOf<S extends ConfigSchema> = { [K in keyof S]: S[K] extends VarSpec<infer T> ? T : never };

export class ConfigError extends Error {
  constructor(
    readonly app: string,
    readonly problems: string[],
  ) {
    super(`${app}: invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

function parseOne(name: string, spec: VarSpec<unknown>, raw: string): { value?: unknown; problem?: string } {
  switch (spec.kind) {
    case 'string':
      return { value: raw };
    case 'url':
      try {
        new URL(raw);
        return { value: raw };
      } catch {
        return { problem: `${name}=${JSON.stringify(raw)} is not a URL` };
      }
    case 'int': {
      if (!/^-?\d+$/.test(raw.trim())) return { problem: `${name}=${JSON.stringify(raw)} is not an integer` };
      const n = Number(raw);
      if (spec.min !== undefined && n < spec.min) return { problem: `${name}=${n} must be >= ${spec.min}` };
      return { value: n };
    }
    case 'bool': {
      const v = raw.trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(v)) return { value: true };
      if (['0', 'false', 'no', 'off', ''].includes(v)) return { value: false };
      return { problem: `${name}=${JSON.stringify(raw)} is not a boolean (true/false)` };
    }
    case 'list':
      return {
        value: raw
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s.length > 0),
      };
    case 'enum':
      if (!spec.values?.includes(raw)) {
        return { problem: `${name}=${JSON.stringify(raw)} must be one of ${spec.values?.join(', ')}` };
      }
      return { value: raw };
  }
}

const NATS_AUTH_VARIABLES = ['NATS_USER', 'NATS_PASSWORD', 'NATS_CREDS', 'NATS_TLS_CA'];

export function loadConfig<S extends ConfigSchema>(
  app: string,
  schema: S,
  source: Record<string, string | undefined> = process.env,
): ConfigOf<S> {
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, spec] of Object.entries(schema)) {
    const raw = source[name] ?? spec.default;
    if (raw === undefined) {
      problems.push(`${name} is required (${spec.description})`);
      continue;
    }
    const { value, problem } = parseOne(name, spec, raw);
    if (problem) problems.push(problem);
    else out[name] = value;
  }
  if (NATS_AUTH_VARIABLES.every((name) => name in schema)) problems.push(...natsAuthProblems(out));
  if (problems.length) throw new ConfigError(app, problems);
  return out as ConfigOf<S>;
}

/** The variables every app reads. */
export const commonConfigSchema = {
  DATABASE_URL: env.url('PostgreSQL connection URL', 'postgres://postgres@127.0.0.1:5432/volumes'),
  NATS_URL: env.url('NATS server URL', 'nats://127.0.0.1:4222'),
  NATS_SUBJECT_PREFIX: env.string('Namespace for every NATS subject, so that several deployments can share one server; empty = none', ''),
  NATS_USER: env.string('NATS user name (with NATS_PASSWORD); empty = no user/password', ''),
  NATS_PASSWORD: env.string('NATS password for NATS_USER (from a Secret; never logged)', ''),
  NATS_CREDS: env.string('Path of a NATS .creds file (JWT and NKey seed), instead of NATS_USER/NATS_PASSWORD; empty = none', ''),
  NATS_TLS_CA: env.string('Path of the PEM CA bundle that signs the NATS server certificate; set = TLS required; empty = plain TCP', ''),
  LOG_LEVEL: env.enum('Log level', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info'),
  REPORT_INTERVAL_S: env.int('Seconds between service heartbeats (and pool reports on workers)', 10, 1),
  SHUTDOWN_TIMEOUT_S: env.int('Seconds an app may take to stop on SIGTERM before it exits anyway', 20, 1),
  HEALTH_PORT: env.int('Port of a plain HTTP server answering GET /healthz and /readyz (probes) and /metrics (Prometheus); 0 = off (volume-api has its own on API_PORT)', 0),
  HEALTH_HOST: env.string('Address the HEALTH_PORT server listens on; 0.0.0.0 where probes or Prometheus come from outside the container (Kubernetes)', '127.0.0.1'),
};
