import * as autoscalingV2 from 'kubernetes-models/autoscaling/v2';
import * as appsV1 from 'kubernetes-models/apps/v1';
import * as batchV1 from 'kubernetes-models/batch/v1';
import * as policyV1 from 'kubernetes-models/policy/v1';
import * as coreV1 from 'kubernetes-models/v1';
import type { Obj } from './deploy-model';

/**
 * What a cluster checks when `kubectl apply` sends the rendered objects, without a cluster: the API
 * schemas (kubernetes-models: the OpenAPI definitions of Kubernetes 1.27 compiled to validators, in the
 * package, so nothing is fetched), then the checks the API server and the kubelet make beyond the
 * schema, plus this project's rules (resources, probes, Secrets). Every function returns readable
 * problems; none means admitted.
 */

type Validating = { validate(): void };
const API_GROUPS: Record<string, Record<string, unknown>> = {
  v1: coreV1,
  'apps/v1': appsV1,
  'batch/v1': batchV1,
  'autoscaling/v2': autoscalingV2,
  'policy/v1': policyV1,
};

const idOf = (o: Obj) => `${o.kind}/${o.metadata?.name}`;

/** Each object against the API schema of its apiVersion and kind. */
export function schemaProblems(objects: Obj[]): string[] {
  return objects.flatMap((o) => {
    const Model = API_GROUPS[o.apiVersion]?.[o.kind] as (new (data: Obj) => Validating) | undefined;
    if (!Model) return [`${idOf(o)}: no schema for ${o.apiVersion} ${o.kind} here (add its kubernetes-models module to API_GROUPS)`];
    try {
      new Model(o).validate();
      return [];
    } catch (err) {
      return [`${idOf(o)}: ${(err as Error).message}`];
    }
  });
}

const POD_OWNERS = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job'];
const LONG_RUNNING = ['Deployment', 'StatefulSet', 'DaemonSet'];
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const PORT_NAME = /^(?=.{1,15}$)(?=.*[a-z])[a-z0-9]([a-z0-9]|-(?!-))*[a-z0-9]$|^[a-z]$/;

const podOwners = (objects: Obj[]) => objects.filter((o) => POD_OWNERS.includes(o.kind));
const containersOf = (pod: Obj): Obj[] => [...(pod.initContainers ?? []), ...(pod.containers ?? [])];
const selects = (selector: Record<string, string> | undefined, labels: Record<string, string> | undefined) =>
  Boolean(selector) && Object.keys(selector!).length > 0 && Object.entries(selector!).every(([k, v]) => labels?.[k] === v);

/** Names, selectors, volume mounts, probe and Service ports, and the targets of Services, HPAs and PDBs. */
export function referenceProblems(objects: Obj[]): string[] {
  const problems: string[] = [];
  for (const o of objects) {
    const nameRule = ['Namespace', 'Service'].includes(o.kind) ? DNS_LABEL : DNS_SUBDOMAIN;
    if (!nameRule.test(o.metadata?.name ?? '')) problems.push(`${idOf(o)}: the name is not a valid ${o.kind} name`);
  }
  for (const o of podOwners(objects)) {
    const pod = o.spec.template.spec;
    if (o.kind !== 'Job' && !selects(o.spec.selector?.matchLabels, o.spec.template.metadata?.labels)) {
      problems.push(`${idOf(o)}: selector does not match template labels`);
    }
    const volumes = new Set([...(pod.volumes ?? []), ...(o.spec.volumeClaimTemplates ?? []).map((t: Obj) => t.metadata)].map((v: Obj) => v.name));
    for (const c of containersOf(pod)) {
      const where = `${idOf(o)} container ${c.name}`;
      if (!DNS_LABEL.test(c.name)) problems.push(`${where}: the name is not a DNS label`);
      for (const m of c.volumeMounts ?? []) {
        if (!volumes.has(m.name)) problems.push(`${where}: volumeMounts ${m.name} names no volume or claim template`);
      }
      const ports = new Map<string, number>((c.ports ?? []).map((p: Obj) => [p.name, p.containerPort]));
      for (const name of ports.keys()) if (name !== undefined && !PORT_NAME.test(name)) problems.push(`${where}: port name ${name} is not an IANA service name`);
      for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
        const port = c[probe]?.httpGet?.port ?? c[probe]?.tcpSocket?.port;
        if (typeof port === 'string' && !ports.has(port)) problems.push(`${where}: ${probe} calls port ${port}, which the container does not declare`);
        if (typeof port === 'number' && ![...ports.values()].includes(port)) problems.push(`${where}: ${probe} calls port ${port}, which the container does not declare`);
      }
      if (LONG_RUNNING.includes(o.kind) && !(c.readinessProbe && c.livenessProbe)) problems.push(`${where}: no readiness and liveness probes`);
    }
  }
  for (const svc of objects.filter((o) => o.kind === 'Service')) {
    const backends = podOwners(objects).filter((o) => selects(svc.spec.selector, o.spec.template.metadata?.labels));
    if (backends.length === 0) {
      problems.push(`${idOf(svc)}: its selector matches no pod template`);
      continue;
    }
    for (const p of svc.spec.ports ?? []) {
      const target = p.targetPort ?? p.port;
      const declared = backends.some((b) =>
        containersOf(b.spec.template.spec).some((c) => (c.ports ?? []).some((cp: Obj) => (typeof target === 'string' ? cp.name === target : cp.containerPort === target))),
      );
      if (!declared) problems.push(`${idOf(svc)}: targetPort ${target} is declared by none of its pods`);
    }
  }
  for (const sts of objects.filter((o) => o.kind === 'StatefulSet')) {
    if (!objects.some((o) => o.kind === 'Service' && o.metadata.name === sts.spec.serviceName)) {
      problems.push(`${idOf(sts)}: serviceName ${sts.spec.serviceName} is not a Service here`);
    }
  }
  for (const hpa of objects.filter((o) => o.kind === 'HorizontalPodAutoscaler')) {
    const ref = hpa.spec.scaleTargetRef;
    if (!objects.some((o) => o.kind === ref.kind && o.apiVersion === ref.apiVersion && o.metadata.name === ref.name)) {
      problems.push(`${idOf(hpa)}: scaleTargetRef ${ref.apiVersion} ${ref.kind}/${ref.name} is not here`);
    }
  }
  for (const pdb of objects.filter((o) => o.kind === 'PodDisruptionBudget')) {
    if (!podOwners(objects).some((o) => selects(pdb.spec.selector?.matchLabels, o.spec.template.metadata?.labels))) {
      problems.push(`${idOf(pdb)}: its selector matches no pod template`);
    }
  }
  return problems;
}

/** Kubernetes quantities as numbers (cores, bytes), for comparing a request with its limit. */
export function quantity(value: string | number): number {
  const m = /^([0-9.]+)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(String(value));
  if (!m) return NaN;
  const scale: Record<string, number> = { m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
  return Number(m[1]) * (m[2] ? scale[m[2]] : 1);
}

/** Every container requests and limits CPU and memory, each request within its limit. */
export function resourceProblems(objects: Obj[]): string[] {
  return podOwners(objects).flatMap((o) =>
    containersOf(o.spec.template.spec).flatMap((c) =>
      ['cpu', 'memory'].flatMap((r) => {
        const request = c.resources?.requests?.[r];
        const limit = c.resources?.limits?.[r];
        const where = `${idOf(o)} container ${c.name}`;
        if (request === undefined || limit === undefined) return [`${where}: no ${r} ${request === undefined ? 'request' : 'limit'}`];
        return quantity(request) <= quantity(limit) ? [] : [`${where}: ${r} request ${request} is above its limit ${limit}`];
      }),
    ),
  );
}

const SECRET_NAME = /(PASSWORD|SECRET|TOKEN|CREDENTIALS?|PRIVATE_KEY)$/i;
const URL_WITH_PASSWORD = /^[a-z][a-z0-9+.-]*:\/\/[^/@:\s]+:[^/@\s]+@/i;

/**
 * Secrets are referenced, never inlined: no credential in an env value or a ConfigMap, and every
 * Secret a container reads is one of these objects or one created out of band (`outOfBand`).
 */
export function secretProblems(objects: Obj[], outOfBand: string[]): string[] {
  const problems: string[] = [];
  const secrets = new Set([...objects.filter((o) => o.kind === 'Secret').map((o) => o.metadata.name), ...outOfBand]);
  const inlined = (name: string, value: unknown) => SECRET_NAME.test(name) || URL_WITH_PASSWORD.test(String(value));
  for (const cm of objects.filter((o) => o.kind === 'ConfigMap')) {
    for (const [k, v] of Object.entries(cm.data ?? {})) if (inlined(k, v)) problems.push(`${idOf(cm)}: ${k} holds a credential; put it in a Secret`);
  }
  for (const o of podOwners(objects)) {
    for (const c of containersOf(o.spec.template.spec)) {
      const where = `${idOf(o)} container ${c.name}`;
      for (const e of c.env ?? []) {
        if (e.value !== undefined && inlined(e.name, e.value)) problems.push(`${where}: ${e.name} is inlined; take it from a Secret (secretKeyRef)`);
        const ref = e.valueFrom?.secretKeyRef?.name;
        if (ref && !secrets.has(ref)) problems.push(`${where}: ${e.name} reads Secret ${ref}, which is neither here nor created out of band`);
      }
      for (const ref of (c.envFrom ?? []).map((f: Obj) => f.secretRef?.name).filter(Boolean)) {
        if (!secrets.has(ref)) problems.push(`${where}: envFrom reads Secret ${ref}, which is neither here nor created out of band`);
      }
    }
  }
  return problems;
}

/** Each StatefulSet keeps its data on claims from its templates: sized, with access modes, mounted. */
export function claimProblems(objects: Obj[]): string[] {
  return objects
    .filter((o) => o.kind === 'StatefulSet')
    .flatMap((sts) => {
      const templates: Obj[] = sts.spec.volumeClaimTemplates ?? [];
      if (templates.length === 0) return [`${idOf(sts)}: no volumeClaimTemplates; its data would not outlive the pod`];
      const mounted = new Set(containersOf(sts.spec.template.spec).flatMap((c) => (c.volumeMounts ?? []).map((m: Obj) => m.name)));
      return templates.flatMap((t) => {
        const where = `${idOf(sts)} claim template ${t.metadata.name}`;
        const problems: string[] = [];
        if (!(t.spec?.accessModes?.length > 0)) problems.push(`${where}: no accessModes`);
        if (!(quantity(t.spec?.resources?.requests?.storage ?? '') > 0)) problems.push(`${where}: no storage request`);
        if (!mounted.has(t.metadata.name)) problems.push(`${where}: mounted by no container`);
        return problems;
      });
    });
}
