import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

// The workspace's real ESLint config and project tags judge imports written into files that do not
// exist: the layering holds only while this rule is on and the tags say the layers.
const WORKSPACE = resolve(__dirname, '../../..');
const RULE = '@nx/enforce-module-boundaries';

interface Probe {
  case: string;
  filePath: string;
  code: string;
}

const FORBIDDEN: Probe[] = [
  { case: 'the domain imports a lib', filePath: 'libs/domain/src/probe.ts', code: "export { ErrorCode } from '@volume/contracts';" },
  { case: 'the domain imports a pure lib', filePath: 'libs/domain/src/probe.ts', code: "export { negotiate } from '@volume/microversion';" },
  { case: "the domain's test helpers import a lib", filePath: 'libs/domain/test/probe.ts', code: "export { freePort } from '@volume/testing';" },
  { case: "a lib imports an app's entry point", filePath: 'libs/persistence/src/probe.ts', code: "export { createWorkerApp } from '@volume/worker-app';" },
  { case: "a lib imports an app's source", filePath: 'libs/platform/src/probe.ts', code: "export { loadApiConfig } from '../../../apps/volume-api/src/config';" },
  { case: "an app imports another app's entry point", filePath: 'apps/volume-api/src/probe.ts', code: "export { createWorkerApp } from '@volume/worker-app';" },
  { case: "an app's test loads another app", filePath: 'apps/volume-worker/test/probe.ts', code: "export const load = () => import('@volume/scheduler-app');" },
  { case: "an app imports another app's source", filePath: 'apps/volume-scheduler/src/probe.ts', code: "export { loadWorkerConfig } from '../../volume-worker/src/config';" },
  { case: 'an app imports a lib by its path', filePath: 'apps/volume-api/src/probe.ts', code: "export { isMigrating } from '../../../libs/domain/src/volume-status';" },
  { case: 'an app imports the whole-stack harness', filePath: 'apps/nova-bridge/test/probe.ts', code: "export { TestStack } from '@volume/testing-stack';" },
  { case: 'a whole-stack spec imports app internals', filePath: 'apps/volume-integration/src/probe.ts', code: "export { LocalComputeAdapter } from '../../nova-bridge/src/local/local-adapter';" },
  { case: "the operator tools' shared formatting imports a lib", filePath: 'libs/migration-format/src/probe.ts', code: "export { ErrorCode } from '@volume/contracts';" },
  { case: 'an end-to-end suite imports app internals', filePath: 'apps/volume-e2e/src/probe.ts', code: "export { VolumesService } from '../../volume-api/src/volumes/volumes.service';" },
];

const ALLOWED: Probe[] = [
  { case: 'a lib imports the domain', filePath: 'libs/contracts/src/probe.ts', code: "export { isMigrating } from '@volume/domain';" },
  { case: 'an app imports a lib', filePath: 'apps/volume-scheduler/src/probe.ts', code: "export { createDataSource } from '@volume/persistence';" },
  { case: "the whole-stack harness imports an app's entry point", filePath: 'libs/testing-stack/src/probe.ts', code: "export { createWorkerApp } from '@volume/worker-app';" },
  { case: 'a whole-stack spec imports the harness', filePath: 'apps/volume-integration/src/probe.ts', code: "export { TestStack } from '@volume/testing-stack';" },
  { case: "an operator tool imports the tools' shared formatting", filePath: 'apps/volctl/src/probe.ts', code: "export { formatBytes } from '@volume/migration-format';" },
  { case: "an end-to-end suite imports an app's entry point", filePath: 'apps/volume-e2e/src/probe.ts', code: "export { createApiApp } from '@volume/api-app';" },
];

// ESLint loads eslint.config.mjs with import(), which Jest's module registry refuses: lint in a child.
// The rule reads Nx's cached project graph and skips itself when there is none, so make it first.
const LINT_TEXTS = `
const { createProjectGraphAsync } = require('@nx/devkit');
const { ESLint } = require('eslint');
(async () => {
  await createProjectGraphAsync({ exitOnError: false });
  const eslint = new ESLint();
  const results = [];
  for (const { filePath, code } of JSON.parse(process.argv[1])) {
    const [result] = await eslint.lintText(code + '\\n', { filePath });
    results.push(result.messages.map((m) => m.ruleId + ': ' + m.message));
  }
  process.stdout.write(JSON.stringify(results));
})();
`;

const messages = new Map<Probe, string[]>();

beforeAll(async () => {
  const probes = [...FORBIDDEN, ...ALLOWED];
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', LINT_TEXTS, JSON.stringify(probes)], {
    cwd: WORKSPACE,
    env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' },
  });
  const results: string[][] = JSON.parse(stdout);
  probes.forEach((probe, i) => messages.set(probe, results[i]));
}, 60_000);

it.each(FORBIDDEN)('lint refuses an import when $case', (probe) => {
  expect(messages.get(probe)).toEqual([expect.stringMatching(new RegExp(`^${RULE}: `))]);
});

it.each(ALLOWED)('lint accepts an import when $case', (probe) => {
  expect(messages.get(probe)).toEqual([]);
});
