import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { AppName, appOf, isOurImage, Obj, Workload } from './deploy-model';

/** A kustomization's objects, raw or rendered, with its ConfigMaps' and Secrets' data for the env checks. */
export interface K8sModel {
  source: string;
  objects: Obj[];
  configMaps: Map<string, Record<string, string>>;
  secrets: Map<string, Record<string, string>>;
  workloads: Workload[];
}

function literalsOf(gen: Obj, where: string): Record<string, string> {
  for (const unsupported of ['envs', 'env', 'files']) {
    if (gen[unsupported]) throw new Error(`${where}: generator ${gen.name} uses '${unsupported}', which this test's reader does not follow; use literals`);
  }
  const out: Record<string, string> = {};
  for (const lit of gen.literals ?? []) {
    const i = String(lit).indexOf('=');
    if (i < 0) throw new Error(`${where}: literal ${lit} has no '='`);
    out[String(lit).slice(0, i)] = String(lit).slice(i + 1).replace(/^"(.*)"$/, '$1');
  }
  return out;
}

function applyGenerators(
  target: Map<string, Record<string, string>>,
  generators: Obj[] | undefined,
  where: string,
): void {
  for (const gen of generators ?? []) {
    const data = literalsOf(gen, where);
    const behavior = gen.behavior ?? 'create';
    const existing = target.get(gen.name);
    if (behavior === 'create') {
      if (existing) throw new Error(`${where}: ${gen.name} is generated twice`);
      target.set(gen.name, data);
    } else if (!existing) {
      throw new Error(`${where}: ${gen.name} has behavior ${behavior} but no base defines it`);
    } else {
      target.set(gen.name, behavior === 'merge' ? { ...existing, ...data } : data);
    }
  }
}

/**
 * Reads a kustomization the way kustomize would for what these manifests use: resources and bases
 * (files and directories), ConfigMap and Secret generators from literals (create, merge, replace),
 * and images. Anything else that could change a container's environment makes it throw, so that the
 * test never silently checks something other than what kustomize renders.
 */
export function loadKustomization(dir: string): Omit<K8sModel, 'workloads'> {
  const file = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'].map((f) => join(dir, f)).find(existsSync);
  if (!file) throw new Error(`${dir}: no kustomization.yaml`);
  const k = parse(readFileSync(file, 'utf8')) as Obj;
  for (const unsupported of ['patches', 'patchesStrategicMerge', 'patchesJson6902', 'replacements', 'vars', 'components', 'helmCharts']) {
    if (k[unsupported]) throw new Error(`${file}: '${unsupported}' is not followed by this test's reader; extend apps/volume-e2e/src/support/deploy-model.ts`);
  }
  const objects: Obj[] = [];
  const configMaps = new Map<string, Record<string, string>>();
  const secrets = new Map<string, Record<string, string>>();
  for (const entry of [...(k.bases ?? []), ...(k.resources ?? [])] as string[]) {
    const path = resolve(dir, entry);
    if (statSync(path).isDirectory()) {
      const sub = loadKustomization(path);
      objects.push(...sub.objects);
      sub.configMaps.forEach((v, n) => configMaps.set(n, v));
      sub.secrets.forEach((v, n) => secrets.set(n, v));
    } else {
      for (const d of parseAllDocuments(readFileSync(path, 'utf8'))) {
        const o = d.toJS() as Obj | null;
        if (o) objects.push(o);
      }
    }
  }
  for (const o of objects) {
    if (o.kind === 'ConfigMap') configMaps.set(o.metadata.name, { ...(o.data ?? {}) });
    if (o.kind === 'Secret') secrets.set(o.metadata.name, { ...(o.stringData ?? {}) });
  }
  applyGenerators(configMaps, k.configMapGenerator, file);
  applyGenerators(secrets, k.secretGenerator, file);
  for (const img of k.images ?? []) {
    for (const c of containersOf(objects)) {
      if (c.image === img.name || String(c.image).startsWith(`${img.name}:`)) {
        c.image = `${img.newName ?? img.name}${img.newTag ? `:${img.newTag}` : ''}`;
      }
    }
  }
  return { source: relative(process.cwd(), dirname(file)) || '.', objects, configMaps, secrets };
}

/** The output of `kubectl kustomize <dir>`: what `kubectl apply -k` would send. */
export function renderKustomization(dir: string): Omit<K8sModel, 'workloads'> {
  let out: string;
  try {
    out = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    // Never a skip: what the cluster would receive is only known from kustomize itself.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error('kubectl is not on the PATH: install it (Debian: kubernetes-client; .ci/run does) to check what `kubectl kustomize` renders');
    }
    throw new Error(`kubectl kustomize ${dir} failed: ${(err as { stderr?: string }).stderr || (err as Error).message}`);
  }
  const objects = parseAllDocuments(out)
    .map((d) => d.toJS() as Obj | null)
    .filter((o): o is Obj => Boolean(o));
  const configMaps = new Map<string, Record<string, string>>();
  const secrets = new Map<string, Record<string, string>>();
  for (const o of objects) {
    if (o.kind === 'ConfigMap') configMaps.set(o.metadata.name, { ...(o.data ?? {}) });
    if (o.kind === 'Secret') {
      const data = Object.fromEntries(Object.entries<string>(o.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
      secrets.set(o.metadata.name, { ...data, ...(o.stringData ?? {}) });
    }
  }
  return { source: `kubectl kustomize ${relative(process.cwd(), dir) || '.'}`, objects, configMaps, secrets };
}

const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job'];

function podSpecOf(o: Obj): Obj | undefined {
  return WORKLOAD_KINDS.includes(o.kind) ? o.spec?.template?.spec : undefined;
}

function containersOf(objects: Obj[]): Obj[] {
  return objects.flatMap((o) => {
    const pod = podSpecOf(o);
    return pod ? [...(pod.initContainers ?? []), ...(pod.containers ?? [])] : [];
  });
}

/** A sample value for a variable set from outside the files, valid for its kind. */
function sampleFor(kind: string | undefined): string {
  if (kind === 'url') return 'postgres://user:secret@db.example:5432/volumes';
  if (kind === 'int') return '1';
  return 'external';
}

export function k8sWorkloads(model: Omit<K8sModel, 'workloads'>, kindOf: (app: AppName | undefined, name: string) => string | undefined): Workload[] {
  const workloads: Workload[] = [];
  for (const o of model.objects) {
    const pod = podSpecOf(o);
    if (!pod) continue;
    const claimTemplates = new Set((o.spec.volumeClaimTemplates ?? []).map((t: Obj) => t.metadata.name));
    const claimVolumes = new Set((pod.volumes ?? []).filter((v: Obj) => v.persistentVolumeClaim).map((v: Obj) => v.name));
    const podName = o.kind === 'StatefulSet' ? `${o.metadata.name}-0` : `${o.metadata.name}-5d8f7c9b6d-x2k4q`;
    for (const c of pod.containers ?? []) {
      if (!isOurImage(c.image)) continue;
      const env: Record<string, string> = {};
      const external: Record<string, string> = {};
      const pending: [string, string][] = [];
      for (const ref of c.envFrom ?? []) {
        const prefix = ref.prefix ?? '';
        if (ref.configMapRef) {
          const data = model.configMaps.get(ref.configMapRef.name);
          if (!data) throw new Error(`${model.source}: ${o.kind}/${o.metadata.name} reads ConfigMap ${ref.configMapRef.name}, which is not defined`);
          for (const [k, v] of Object.entries(data)) env[prefix + k] = v;
        }
        if (ref.secretRef) {
          const data = model.secrets.get(ref.secretRef.name);
          if (!data) throw new Error(`${model.source}: envFrom secretRef ${ref.secretRef.name} is not defined; its keys cannot be checked`);
          for (const [k, v] of Object.entries(data)) env[prefix + k] = v;
        }
      }
      for (const e of c.env ?? []) {
        if (e.value !== undefined) env[e.name] = String(e.value);
        else if (e.valueFrom?.fieldRef?.fieldPath === 'metadata.name') {
          env[e.name] = podName;
          external[e.name] = 'pod name';
        } else if (e.valueFrom?.secretKeyRef) {
          const { name, key } = e.valueFrom.secretKeyRef;
          const data = model.secrets.get(name);
          if (data) {
            if (!(key in data)) throw new Error(`${model.source}: Secret ${name} has no key ${key} (read as ${e.name})`);
            env[e.name] = data[key];
          } else {
            pending.push([e.name, `Secret ${name}/${key}, created out of band`]);
          }
        } else if (e.valueFrom?.configMapKeyRef) {
          const { name, key } = e.valueFrom.configMapKeyRef;
          const data = model.configMaps.get(name);
          if (!data || !(key in data)) throw new Error(`${model.source}: ConfigMap ${name} has no key ${key} (read as ${e.name})`);
          env[e.name] = data[key];
        } else {
          env[e.name] = 'external';
          external[e.name] = JSON.stringify(e.valueFrom);
        }
      }
      const app = appOf(env);
      for (const [name, from] of pending) {
        env[name] = sampleFor(kindOf(app, name));
        external[name] = from;
      }
      const durableMounts = (c.volumeMounts ?? [])
        .filter((m: Obj) => claimTemplates.has(m.name) || claimVolumes.has(m.name))
        .map((m: Obj) => m.mountPath);
      const namedPorts = new Map<string, number>((c.ports ?? []).map((p: Obj) => [p.name, p.containerPort]));
      const probePorts = ['startupProbe', 'readinessProbe', 'livenessProbe']
        .map((p) => c[p]?.httpGet?.port)
        .filter((p) => p !== undefined)
        .map((p) => (typeof p === 'number' ? p : (namedPorts.get(p) ?? NaN)));
      workloads.push({
        source: `${model.source}: ${o.kind}/${o.metadata.name}`,
        name: o.metadata.name,
        app,
        args: (c.args ?? []).map(String),
        env,
        external,
        durableMounts,
        probePorts,
        stopGraceS: pod.terminationGracePeriodSeconds ?? 30,
        raw: o,
      });
    }
  }
  return workloads;
}
