import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type ConfigSchema, isLoopbackAddress } from '@volume/platform';
// The apps' schemas are the single source of their variables: the deployment files must agree with them.
import { apiConfigSchema, loadApiConfig } from '../../volume-api/src/config';
import { loadNovaBridgeConfig, novaBridgeConfigSchema } from '../../nova-bridge/src/config';
import { loadSchedulerConfig, schedulerConfigSchema } from '../../volume-scheduler/src/config';
import { loadWorkerConfig, workerConfigSchema } from '../../volume-worker/src/config';
import { AppName, APPS, IMAGE_VARIABLES, interpolate, loadCompose, Workload } from './support/deploy-model';
import { k8sWorkloads, K8sModel, loadKustomization, renderKustomization } from './support/k8s-model';

const ROOT = resolve(__dirname, '../../..');
const COMPOSE_FILE = resolve(ROOT, 'deploy/docker-compose.yml');
const K8S_BASE = resolve(ROOT, 'deploy/k8s/base');
const K8S_DEV = resolve(ROOT, 'deploy/k8s/overlays/dev');

const SCHEMAS: Record<AppName, { schema: ConfigSchema; load: (env: Record<string, string>) => unknown }> = {
  'volume-api': { schema: apiConfigSchema, load: loadApiConfig },
  'volume-scheduler': { schema: schedulerConfigSchema, load: loadSchedulerConfig },
  'volume-worker': { schema: workerConfigSchema, load: loadWorkerConfig },
  'nova-bridge': { schema: novaBridgeConfigSchema, load: loadNovaBridgeConfig },
};

const isMigrate = (w: Workload) => w.args[0] === 'migrate';

/**
 * Variables a deployment must set although the schema has a default: the defaults suit a developer
 * machine (127.0.0.1, .data/ under the working directory, no health port), never a container.
 */
function mustSet(w: Workload): string[] {
  const { schema } = SCHEMAS[w.app as AppName];
  const required = Object.entries(schema)
    .filter(([, spec]) => spec.default === undefined)
    .map(([name]) => name);
  if (isMigrate(w)) return [...required, 'DATABASE_URL'];
  const extra = ['DATABASE_URL', 'NATS_URL'];
  if (w.app !== 'volume-api') extra.push('HEALTH_PORT');
  if (w.app === 'volume-worker') extra.push('VOLUME_DATA_DIR');
  return [...new Set([...required, ...extra])];
}

/** Each listening port an app has, by the variable naming it and the one naming its address. */
const LISTENERS: [port: string, address: string][] = [
  ['API_PORT', 'API_HOST'],
  ['HEALTH_PORT', 'HEALTH_HOST'],
  ['COMPUTE_API_PORT', 'COMPUTE_API_BIND'],
  ['VOLUME_DATA_PORT', 'VOLUME_DATA_BIND'],
];

/** The address the app listens on for a port, from its variables or their defaults; undefined if no listener has that port. */
function listenAddressOf(w: Workload, port: number): string | undefined {
  const { schema } = SCHEMAS[w.app as AppName];
  const value = (name: string) => w.env[name] ?? schema[name]?.default;
  const listener = LISTENERS.find(([portVar]) => portVar in schema && Number(value(portVar)) === port);
  return listener && value(listener[1]);
}

/**
 * Ports something outside the container connects to: kubelet's probes and Prometheus (on the pod's
 * IP), compose's published ports. Compose's health checks run inside the container: loopback does.
 */
function portsReachedFromOutside(w: Workload): number[] {
  if (typeof w.raw.kind === 'string') {
    const scraped = (w.raw as any).spec?.template?.metadata?.annotations?.['prometheus.io/port']; // eslint-disable-line @typescript-eslint/no-explicit-any
    return scraped === undefined ? w.probePorts : [...w.probePorts, Number(scraped)];
  }
  return ((w.raw.ports ?? []) as string[]).map((p) => parseInt(interpolate(String(p)).split(':').pop() as string, 10));
}

/** Everything wrong with one workload's configuration, as readable sentences. */
function problemsOf(w: Workload): string[] {
  if (!w.app) return [`${w.source}: APP=${JSON.stringify(w.env.APP)} names none of ${APPS.join(', ')}`];
  const { schema, load } = SCHEMAS[w.app];
  const problems: string[] = [];
  for (const name of Object.keys(w.env)) {
    if (!(name in schema) && !IMAGE_VARIABLES.includes(name)) problems.push(`${w.source}: sets ${name}, which ${w.app} does not read`);
  }
  for (const name of mustSet(w)) {
    if (!(name in w.env)) problems.push(`${w.source}: ${name} is not set (${schema[name]?.description ?? 'needed in a deployment'})`);
  }
  try {
    load(w.env);
  } catch (err) {
    problems.push(`${w.source}: ${(err as Error).message}`);
  }
  if (isMigrate(w)) return problems;

  if (w.app === 'volume-worker' && !w.durableMounts.includes(w.env.VOLUME_DATA_DIR)) {
    problems.push(`${w.source}: VOLUME_DATA_DIR=${w.env.VOLUME_DATA_DIR} is not on a named volume or claim (mounted: ${w.durableMounts.join(', ') || 'none'})`);
  }
  const healthPort = Number(w.app === 'volume-api' ? (w.env.API_PORT ?? schema.API_PORT.default) : w.env.HEALTH_PORT);
  if (w.probePorts.length === 0) problems.push(`${w.source}: no health check`);
  for (const port of w.probePorts) {
    if (port !== healthPort) problems.push(`${w.source}: a health check calls port ${port}, the app answers on ${healthPort}`);
  }
  for (const port of new Set(portsReachedFromOutside(w))) {
    const address = listenAddressOf(w, port);
    if (address === undefined || isLoopbackAddress(address)) {
      problems.push(`${w.source}: port ${port} is reached from outside the container, but the app listens for it on ${address ?? 'no address'}`);
    }
  }
  const shutdownS = Number(w.env.SHUTDOWN_TIMEOUT_S ?? schema.SHUTDOWN_TIMEOUT_S.default);
  if (!(w.stopGraceS !== undefined && w.stopGraceS > shutdownS)) {
    problems.push(`${w.source}: killed ${w.stopGraceS} s after SIGTERM, not later than SHUTDOWN_TIMEOUT_S=${shutdownS}`);
  }
  return problems;
}

const schemaKind = (app: AppName | undefined, name: string) => (app ? SCHEMAS[app].schema[name]?.kind : undefined);

describe('docker compose (deploy/docker-compose.yml)', () => {
  const compose = loadCompose(COMPOSE_FILE);
  const services = compose.doc.services as Record<string, Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const apps = compose.workloads.filter((w) => !isMigrate(w));

  it('when read, then it runs the migrations once, volume-api, volume-scheduler, nova-bridge and two workers with hosts and data of their own', () => {
    expect(compose.workloads.filter(isMigrate).map((w) => [w.name, w.app])).toEqual([['migrate', 'volume-api']]);
    expect(apps.map((w) => w.app).sort()).toEqual(['nova-bridge', 'volume-api', 'volume-scheduler', 'volume-worker', 'volume-worker']);
    const workers = apps.filter((w) => w.app === 'volume-worker');
    expect(new Set(workers.map((w) => w.env.VOLUME_HOST)).size).toBe(2);
    const volumesOf = (w: Workload) => (w.raw.volumes as string[]).map((v) => v.split(':')[0]);
    expect(new Set(workers.flatMap(volumesOf)).size).toBe(2);
    expect(interpolate(services.postgres.image)).toMatch(/^postgres:15/);
    expect(interpolate(services.nats.image)).toMatch(/^nats:2/);
    expect(services.nats.command).toEqual(expect.arrayContaining(['-js', '-sd']));
    expect(services['volume-api'].ports).toEqual([expect.stringMatching(/:8776$/)]);
  });

  it('when checked against each app schema, then every required variable is set, none unknown, all valid', () => {
    expect(compose.workloads.flatMap(problemsOf)).toEqual([]);
  });

  it('when built or run elsewhere, then the base images, the build network and the published ports come from the environment, the official images by default', () => {
    const env = { NODE_IMAGE: 'mirror/node:20', POSTGRES_IMAGE: 'mirror/postgres:15', NATS_IMAGE: 'mirror/nats:2', API_PUBLISH: '127.0.0.1:18776', COMPUTE_PUBLISH: '127.0.0.1:18774' };
    const build = services.migrate.build;
    expect([interpolate(build.args.NODE_IMAGE), interpolate(build.args.NODE_IMAGE, env)]).toEqual(['node:20-bookworm-slim', 'mirror/node:20']);
    expect([interpolate(build.args.BUILD_CA_CERTS), interpolate(build.network), interpolate(build.network, { BUILD_NETWORK: 'host' })]).toEqual(['', 'default', 'host']);
    expect([interpolate(services.postgres.image, env), interpolate(services.nats.image, env)]).toEqual(['mirror/postgres:15', 'mirror/nats:2']);
    expect(interpolate(services.nats.image)).toBe('nats:2-alpine');
    expect(services['volume-api'].ports.map((p: string) => [interpolate(p), interpolate(p, env)])).toEqual([['127.0.0.1:8776:8776', '127.0.0.1:18776:8776']]);
    expect(services['nova-bridge'].ports.map((p: string) => [interpolate(p), interpolate(p, env)])).toEqual([['127.0.0.1:8774:8774', '127.0.0.1:18774:8774']]);
  });

  it('when started, then it comes up in order: healthy PostgreSQL and NATS, completed migrations, then the apps', () => {
    for (const w of apps) {
      expect([w.name, w.raw.depends_on]).toEqual([
        w.name,
        expect.objectContaining({
          postgres: { condition: 'service_healthy' },
          nats: { condition: 'service_healthy' },
          migrate: { condition: 'service_completed_successfully' },
        }),
      ]);
    }
    expect(services.migrate.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
    expect(services.migrate.restart).toBe('no');
    for (const [name, svc] of Object.entries(services)) {
      if (name === 'migrate') continue;
      expect([name, Boolean(svc.healthcheck?.test) && !svc.healthcheck?.disable]).toEqual([name, true]);
    }
  });

  it('when taken down, then every durable directory is on a named volume, which `down` keeps', () => {
    const named = Object.keys(compose.doc.volumes ?? {});
    const mountedOn = (svc: string) =>
      ((services[svc].volumes ?? []) as string[]).map((v) => v.split(':')).filter(([source]) => named.includes(source)).map(([, target]) => target);
    expect(mountedOn('postgres')).toEqual(['/var/lib/postgresql/data']);
    expect(mountedOn('nats')).toEqual([services.nats.command[services.nats.command.indexOf('-sd') + 1]]);
    // Workers: checked with their configuration (VOLUME_DATA_DIR on a named volume).
  });
});

describe.each([
  ['base', K8S_BASE],
  ['dev overlay', K8S_DEV],
])('Kubernetes %s (raw files)', (_label, dir) => {
  let model: Omit<K8sModel, 'workloads'>;
  let workloads: Workload[];

  beforeAll(() => {
    model = loadKustomization(dir);
    workloads = k8sWorkloads(model, schemaKind);
  });

  it('when checked against each app schema, then every required variable is set, none unknown, all valid', () => {
    expect(workloads.map((w) => w.app).sort()).toEqual(['nova-bridge', 'volume-api', 'volume-api', 'volume-scheduler', 'volume-worker']);
    expect(workloads.flatMap(problemsOf)).toEqual([]);
  });

  it('when read, then it has the API behind a Service with autoscaling and a disruption budget, scheduler replicas, worker pods as hosts, and a migration Job', () => {
    const find = (kind: string, name: string) => model.objects.find((o) => o.kind === kind && o.metadata.name === name);
    const api = find('Deployment', 'volume-api');
    expect(api?.spec.replicas).toBe(2);
    expect(find('Service', 'volume-api')?.spec.ports).toEqual([expect.objectContaining({ port: 8776 })]);
    expect(find('HorizontalPodAutoscaler', 'volume-api')?.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'volume-api' });
    expect(find('PodDisruptionBudget', 'volume-api')?.spec.selector).toEqual(api?.spec.selector);
    const apiContainer = api?.spec.template.spec.containers[0];
    expect([apiContainer.readinessProbe.httpGet.path, apiContainer.livenessProbe.httpGet.path]).toEqual(['/readyz', '/healthz']);
    expect(apiContainer.resources).toEqual({ requests: expect.any(Object), limits: expect.any(Object) });

    expect(find('Deployment', 'volume-scheduler')?.spec.replicas).toBeGreaterThanOrEqual(2);
    expect(find('Deployment', 'nova-bridge')).toBeDefined();

    const worker = find('StatefulSet', 'volume-worker');
    expect(worker?.spec.volumeClaimTemplates).toEqual([expect.objectContaining({ metadata: expect.objectContaining({ name: 'data' }) })]);
    expect(worker?.spec.template.spec.containers[0].env).toContainEqual({ name: 'VOLUME_HOST', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } });

    const job = workloads.find((w) => w.raw.kind === 'Job');
    expect([job?.app, job?.args]).toEqual(['volume-api', ['migrate']]);
  });

  it('when read, then every app takes DATABASE_URL from the Secret volume-db', () => {
    for (const w of workloads) {
      const container = (w.raw.spec as any).template.spec.containers[0]; // eslint-disable-line @typescript-eslint/no-explicit-any
      expect([w.source, container.env.find((e: { name: string }) => e.name === 'DATABASE_URL')]).toEqual([
        w.source,
        { name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: 'volume-db', key: 'DATABASE_URL' } } },
      ]);
    }
  });
});

// kubectl is required: without it these fail (renderKustomization says why), they never skip.
describe.each([
  ['base', K8S_BASE],
  ['dev overlay', K8S_DEV],
])('Kubernetes %s (rendered by kubectl kustomize)', (label, dir) => {
  it('when rendered, then every container gets what its schema requires and nothing it does not read', () => {
    const rendered = renderKustomization(dir);
    const workloads = k8sWorkloads(rendered, schemaKind);
    expect(workloads).toHaveLength(5);
    expect(workloads.flatMap(problemsOf)).toEqual([]);
    if (label === 'dev overlay') {
      // The in-cluster PostgreSQL and NATS come with it, and the generated Secret is what the apps read.
      expect(rendered.objects.filter((o) => o.kind === 'StatefulSet').map((o) => o.metadata.name).sort()).toEqual(['nats', 'postgres', 'volume-worker']);
      expect(workloads.every((w) => w.env.DATABASE_URL === 'postgres://postgres:postgres@postgres:5432/volumes')).toBe(true);
    }
  });
});

describe('the image (deploy/Dockerfile)', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { nodeFlagsOf } = require(resolve(ROOT, 'tools/dev-stack/node-flags.js')) as { nodeFlagsOf: (app: string) => string[] };
  const dockerfile = readFileSync(resolve(ROOT, 'deploy/Dockerfile'), 'utf8');
  const entrypoint = JSON.parse(/^ENTRYPOINT (.*)$/m.exec(dockerfile)![1]) as string[];

  it.each(APPS)('when it starts %s, then node gets the flags npm start and the bench give it', (app) => {
    expect(entrypoint.slice(0, 2)).toEqual(['/bin/sh', '-c']);
    // The entrypoint's own shell, with `exec node` shown rather than run.
    const shown = execFileSync('/bin/sh', ['-c', entrypoint[2].replace('exec node ', 'echo '), ...entrypoint.slice(3), 'migrate'], {
      env: { PATH: process.env.PATH, APP: app },
      encoding: 'utf8',
    });
    expect(shown.trim().split(/\s+/)).toEqual(['--enable-source-maps', ...nodeFlagsOf(app), `dist/apps/${app}/main.js`, 'migrate']);
  });
});
