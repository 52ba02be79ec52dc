import { resolve } from 'node:path';
import type { Obj } from './support/deploy-model';
import { claimProblems, quantity, referenceProblems, resourceProblems, schemaProblems, secretProblems } from './support/k8s-admission';
import { renderKustomization } from './support/k8s-model';

/**
 * What `kubectl apply -k` would send (kubectl kustomize's output, so kubectl is required: without it
 * these fail, they never skip), checked as a cluster would at admission: the Kubernetes API schemas,
 * then references, resources, Secrets and claims. The apps' own variables are deploy-config.spec.ts's.
 */
const ROOT = resolve(__dirname, '../../..');
const K8S_BASE = resolve(ROOT, 'deploy/k8s/base');
const K8S_DEV = resolve(ROOT, 'deploy/k8s/overlays/dev');
/** Created before `kubectl apply` in production (README, deploy/k8s/base/kustomization.yaml). */
const OUT_OF_BAND_SECRETS = ['volume-db', 'nova-service-user', 'volume-keystone'];

const find = (objects: Obj[], kind: string, name: string) => {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`no ${kind}/${name} rendered`);
  return o;
};
const container = (objects: Obj[], kind: string, name: string) => find(objects, kind, name).spec.template.spec.containers[0];

describe.each([
  ['base', K8S_BASE, OUT_OF_BAND_SECRETS],
  ['dev overlay', K8S_DEV, []],
])('Kubernetes %s, as kubectl kustomize renders it', (label, dir, outOfBand) => {
  let objects: Obj[];

  beforeAll(() => {
    objects = renderKustomization(dir).objects;
  });

  it('when validated against the Kubernetes API schemas, then every object is valid', () => {
    expect(objects.length).toBeGreaterThan(10);
    expect(schemaProblems(objects)).toEqual([]);
  });

  it('when admitted, then names are valid, selectors match their pods, and every mount, probe port and Service, HPA and PDB target resolves', () => {
    expect(referenceProblems(objects)).toEqual([]);
  });

  it('when scheduled, then every container requests and limits CPU and memory, each request within its limit', () => {
    expect(resourceProblems(objects)).toEqual([]);
  });

  it('when read, then every Secret is referenced, none inlined, and each one read is rendered or created out of band', () => {
    expect(secretProblems(objects, outOfBand)).toEqual([]);
    const rendered = objects.filter((o) => o.kind === 'Secret').map((o) => o.metadata.name.replace(/-[a-z0-9]{10}$/, ''));
    // Production Secrets are created out of band, never shipped; the dev overlay generates its own.
    expect(rendered.sort()).toEqual(label === 'base' ? [] : ['nova-service-user', 'postgres-credentials', 'volume-db', 'volume-keystone']);
  });

  it('when pods move, then each StatefulSet keeps its data on sized, mounted claims from its templates', () => {
    expect(claimProblems(objects)).toEqual([]);
    expect(find(objects, 'StatefulSet', 'volume-worker').spec.volumeClaimTemplates.map((t: Obj) => t.metadata.name)).toEqual(['data']);
  });
});

describe('the admission checks themselves (each catches what a cluster would refuse)', () => {
  let base: Obj[];
  const broken = (change: (objects: Obj[]) => void) => {
    const copy = structuredClone(base);
    change(copy);
    return copy;
  };

  beforeAll(() => {
    base = renderKustomization(K8S_BASE).objects;
  });

  it('when a field has the wrong type or a required one is missing, then the schema check names it', () => {
    const objects = broken((o) => {
      container(o, 'Deployment', 'volume-api').resources.limits.memory = '512 MB';
      delete find(o, 'StatefulSet', 'volume-worker').spec.selector;
    });
    expect(schemaProblems(objects)).toEqual([
      expect.stringMatching(/^Deployment\/volume-api: .*resources\/limits\/memory must match format "quantity"/),
      expect.stringMatching(/^StatefulSet\/volume-worker: .*spec must have required property selector/),
    ]);
    expect(schemaProblems([{ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } }])).toEqual([expect.stringMatching(/no schema for example.com\/v1 Widget/)]);
  });

  it('when a selector, a mount, a probe port or a target does not resolve, then the reference check names it', () => {
    const objects = broken((o) => {
      find(o, 'Deployment', 'volume-scheduler').spec.selector.matchLabels['app.kubernetes.io/name'] = 'scheduler';
      container(o, 'StatefulSet', 'volume-worker').volumeMounts.push({ name: 'cache', mountPath: '/cache' });
      container(o, 'Deployment', 'volume-api').readinessProbe.httpGet.port = 'healthz';
      find(o, 'HorizontalPodAutoscaler', 'volume-api').spec.scaleTargetRef.name = 'volume-apis';
    });
    expect(referenceProblems(objects)).toEqual(
      expect.arrayContaining([
        'Deployment/volume-scheduler: selector does not match template labels',
        'StatefulSet/volume-worker container volume-worker: volumeMounts cache names no volume or claim template',
        'Deployment/volume-api container volume-api: readinessProbe calls port healthz, which the container does not declare',
        'HorizontalPodAutoscaler/volume-api: scaleTargetRef apps/v1 Deployment/volume-apis is not here',
      ]),
    );
  });

  it('when a limit is missing or below its request, then the resource check names it', () => {
    const objects = broken((o) => {
      delete container(o, 'Deployment', 'nova-bridge').resources.limits.cpu;
      container(o, 'Job', 'volume-migrate').resources.requests.memory = '1Gi';
    });
    expect(resourceProblems(objects).sort()).toEqual([
      'Deployment/nova-bridge container nova-bridge: no cpu limit',
      'Job/volume-migrate container migrate: memory request 1Gi is above its limit 256Mi',
    ]);
    expect([quantity('100m'), quantity('1'), quantity('512Mi'), quantity('1Gi'), quantity('2x')]).toEqual([0.1, 1, 512 * 2 ** 20, 2 ** 30, NaN]);
  });

  it('when a credential is inlined or a Secret is unknown, then the Secret check names it', () => {
    const objects = broken((o) => {
      const env: Obj[] = container(o, 'Deployment', 'nova-bridge').env;
      const password = env.find((e) => e.name === 'NOVA_PASSWORD')!;
      delete password.valueFrom;
      password.value = 'hunter2';
      env.find((e) => e.name === 'DATABASE_URL')!.valueFrom.secretKeyRef.name = 'volume-database';
      o.find((x) => x.kind === 'ConfigMap')!.data.NATS_URL = 'nats://user:pw@nats:4222';
    });
    expect(secretProblems(objects, OUT_OF_BAND_SECRETS)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^ConfigMap\/.*: NATS_URL holds a credential/),
        'Deployment/nova-bridge container nova-bridge: NOVA_PASSWORD is inlined; take it from a Secret (secretKeyRef)',
        'Deployment/nova-bridge container nova-bridge: DATABASE_URL reads Secret volume-database, which is neither here nor created out of band',
      ]),
    );
    expect(secretProblems(base, [])).toContain(
      'Deployment/volume-api container volume-api: DATABASE_URL reads Secret volume-db, which is neither here nor created out of band',
    );
  });

  it('when a StatefulSet has no claim template, or one unsized or unmounted, then the claim check names it', () => {
    const objects = broken((o) => {
      const worker = find(o, 'StatefulSet', 'volume-worker');
      delete worker.spec.volumeClaimTemplates[0].spec.resources;
      worker.spec.volumeClaimTemplates.push({ metadata: { name: 'spare' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } });
    });
    expect(claimProblems(objects)).toEqual([
      'StatefulSet/volume-worker claim template data: no storage request',
      'StatefulSet/volume-worker claim template spare: mounted by no container',
    ]);
    expect(claimProblems(broken((o) => delete find(o, 'StatefulSet', 'volume-worker').spec.volumeClaimTemplates))).toEqual([
      'StatefulSet/volume-worker: no volumeClaimTemplates; its data would not outlive the pod',
    ]);
  });
});
