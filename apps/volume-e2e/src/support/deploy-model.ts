import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

/** The image every app container runs; APP picks the app (deploy/Dockerfile). */
export const IMAGE = 'block-storage-control-plane';
/** Read by the image's entrypoint, not by an app. */
export const IMAGE_VARIABLES = ['APP'];

export const APPS = ['volume-api', 'volume-scheduler', 'volume-worker', 'nova-bridge'] as const;
export type AppName = (typeof APPS)[number];

/** One container of ours, as a deployment would start it. */
export interface Workload {
  /** Where it comes from, for messages: `compose service volume-api`, `k8s StatefulSet/volume-worker`. */
  source: string;
  name: string;
  app: AppName | undefined;
  /** Arguments after the image's entrypoint (`migrate` for the migration job). */
  args: string[];
  /** Every variable set, with its value; `valueFrom` values are samples (see `external`). */
  env: Record<string, string>;
  /** Variables whose value comes from outside the files (a Secret created out of band, the downward API). */
  external: Record<string, string>;
  /** Mount paths backed by durable storage (a named volume, a PersistentVolumeClaim). */
  durableMounts: string[];
  /** Ports its health checks or probes call. */
  probePorts: number[];
  /** Seconds the platform waits after SIGTERM before killing it. */
  stopGraceS: number | undefined;
  /** The raw definition, for checks specific to one format. */
  raw: Record<string, unknown>;
}

export type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export function isOurImage(image: unknown): boolean {
  return typeof image === 'string' && (image === IMAGE || image.startsWith(`${IMAGE}:`) || image.endsWith(`/${IMAGE}`) || image.includes(`/${IMAGE}:`));
}

export function appOf(env: Record<string, string>): AppName | undefined {
  return (APPS as readonly string[]).includes(env.APP) ? (env.APP as AppName) : undefined;
}

// ---------------------------------------------------------------------------------------------
// docker compose (the Kubernetes side is in k8s-model.ts)

/** Compose interpolation with an empty environment: `${VAR:-default}`, `${VAR-default}`, `$$`. */
export function interpolate(value: string, vars: Record<string, string | undefined> = {}): string {
  return value.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (match, name, colon, op, arg, bare) => {
    if (match === '$$') return '$';
    if (bare) return vars[bare] ?? '';
    const v = vars[name];
    const unset = colon ? v === undefined || v === '' : v === undefined;
    if (op === '?' && unset) throw new Error(`compose variable ${name} is required: ${arg}`);
    if (op === '-' && unset) return arg;
    return v ?? '';
  });
}

function durationS(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  let total = 0;
  for (const [, n, unit] of value.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
    total += Number(n) * { ms: 0.001, s: 1, m: 60, h: 3600 }[unit as 'ms' | 's' | 'm' | 'h'];
  }
  return total;
}

export interface ComposeModel {
  file: string;
  doc: Obj;
  workloads: Workload[];
}

export function loadCompose(file: string): ComposeModel {
  const doc = parse(readFileSync(file, 'utf8'), { merge: true }) as Obj;
  const namedVolumes = new Set(Object.keys(doc.volumes ?? {}));
  const workloads: Workload[] = [];
  for (const [name, svc] of Object.entries<Obj>(doc.services ?? {})) {
    if (!isOurImage(svc.image)) continue;
    const env: Record<string, string> = {};
    const raw = svc.environment ?? {};
    const entries: [string, unknown][] = Array.isArray(raw)
      ? raw.map((line: string) => {
          const i = line.indexOf('=');
          return i < 0 ? [line, undefined] : [line.slice(0, i), line.slice(i + 1)];
        })
      : Object.entries(raw);
    for (const [k, v] of entries) env[k] = v === undefined || v === null ? '' : interpolate(String(v));
    const durableMounts = (svc.volumes ?? [])
      .map((m: string | Obj) => (typeof m === 'string' ? { source: m.split(':')[0], target: m.split(':')[1] } : m))
      .filter((m: Obj) => namedVolumes.has(m.source))
      .map((m: Obj) => m.target);
    const test = svc.healthcheck?.test;
    const testText = Array.isArray(test) ? test.join(' ') : String(test ?? '');
    const probePorts = [...testText.matchAll(/127\.0\.0\.1:(\d+)\//g)].map((m) => Number(m[1]));
    const command = svc.command;
    workloads.push({
      source: `compose service ${name}`,
      name,
      app: appOf(env),
      args: Array.isArray(command) ? command.map(String) : typeof command === 'string' ? command.split(/\s+/) : [],
      env,
      external: {},
      durableMounts,
      probePorts,
      stopGraceS: svc.stop_grace_period === undefined ? 10 : durationS(svc.stop_grace_period),
      raw: svc,
    });
  }
  return { file, doc, workloads };
}
