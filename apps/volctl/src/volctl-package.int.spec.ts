import { execFile } from 'node:child_process';
import { builtinModules } from 'node:module';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PROJECT, TestStack } from '@volume/testing-stack';
import { cleanEnv } from './test-support/run-volctl';

// volctl on its own (issue 15 §1: "installable on its own, npm install -g of its package"): the
// bundle built as the README says, packed, installed under a prefix of its own, far from the
// repository's node_modules, then run against the whole stack. A workspace library that drags in
// what the package does not declare (NestJS, TypeORM, pg...) fails here, not on an operator's laptop.

jest.setTimeout(300_000);

const run = promisify(execFile);
const APP = join(__dirname, '..');
const ROOT = join(APP, '../..');

describe('volctl as an installed package', () => {
  let dir: string;
  let stack: TestStack;
  let volctl: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'volctl-package-'));
    // As the README says: the Nx target (its webpack plugin needs Nx's context), fresh, without the daemon.
    await run('npx', ['nx', 'build', 'volctl', '--skip-nx-cache'], { cwd: ROOT, env: { ...process.env, NX_DAEMON: 'false' }, maxBuffer: 64 * 1024 * 1024 });
    const { stdout } = await run('npm', ['pack', '--pack-destination', dir, '--json'], { cwd: APP });
    const [{ filename }] = JSON.parse(stdout) as { filename: string }[];
    const prefix = join(dir, 'prefix');
    await run('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', join(dir, filename)], {
      cwd: dir,
      maxBuffer: 16 * 1024 * 1024,
    });
    volctl = join(prefix, 'bin', 'volctl');
  });

  afterAll(async () => {
    await stack?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('when installed, then it holds only its bundle, and the bundle needs no package it does not declare', async () => {
    const installed = join(dir, 'prefix', 'lib', 'node_modules', 'volctl');
    expect((await readdir(installed)).sort()).toEqual(expect.arrayContaining(['bin', 'dist', 'package.json']));
    expect(await readdir(installed)).not.toContain('src');
    const pkg = JSON.parse(await readFile(join(installed, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const bundle = await readFile(join(installed, 'dist', 'main.js'), 'utf8');
    const required = new Set([...bundle.matchAll(/require\(["']([^"'./][^"']*)["']\)/g)].map((m) => m[1]));
    const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
    const external = [...required].filter((name) => !builtins.has(name)).map((name) => (name.startsWith('@') ? name.split('/').slice(0, 2).join('/') : name.split('/')[0]));
    expect(external.filter((name) => !(name in pkg.dependencies))).toEqual([]);
  });

  it('when run from the install, then it answers --version and lists the stack\'s pools and volumes as JSON', async () => {
    const version = await run(volctl, ['--version'], { cwd: dir, env: cleanEnv({}) });
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);

    stack = await TestStack.start();
    await stack.api.app.listen(0, '127.0.0.1');
    const { port } = stack.api.app.getHttpServer().address() as { port: number };
    const env = cleanEnv({ OS_AUTH_TYPE: 'noauth', OS_ENDPOINT: `http://127.0.0.1:${port}/v3`, OS_USER_ID: 'admin', OS_PROJECT_ID: PROJECT });
    const id = await stack.createVolume({ size: 1, name: 'packaged' });

    const pools = JSON.parse((await run(volctl, ['pools', '-f', 'json'], { cwd: dir, env })).stdout) as Record<string, unknown>[];
    expect(pools.length).toBeGreaterThanOrEqual(2);
    const volumes = JSON.parse((await run(volctl, ['volumes', 'list', '-f', 'json'], { cwd: dir, env })).stdout) as Record<string, unknown>[];
    expect(volumes.map((v) => v.ID)).toContain(id);
  });

  it('when the API cannot be reached, then the installed command says so in words and exits non-zero', async () => {
    const env = cleanEnv({ OS_AUTH_TYPE: 'noauth', OS_ENDPOINT: 'http://127.0.0.1:9/v3', OS_USER_ID: 'admin', OS_PROJECT_ID: PROJECT });
    const failed = await run(volctl, ['volumes', 'list'], { cwd: dir, env }).then(
      () => null,
      (err: { code: number; stderr: string }) => err,
    );
    expect(failed?.code).toBeGreaterThan(0);
    expect(failed?.stderr).toMatch(/^volctl: /);
    expect(failed?.stderr).not.toMatch(/\n\s+at /);
  });
});
