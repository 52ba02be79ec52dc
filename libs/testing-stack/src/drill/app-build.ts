import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';

export const REPO = join(__dirname, '../../../..');
export const APPS = ['volume-api', 'volume-scheduler', 'volume-worker', 'nova-bridge'] as const;
export type AppName = (typeof APPS)[number];

const BUILDS = join(tmpdir(), 'volume-drill-builds');
const BUILD_TIMEOUT_MS = 10 * 60_000;
/** Builds of other source states are removed once this old. */
const KEEP_OLD_BUILDS_MS = 24 * 3600_000;

/** What the apps' bundles are made of: their sources and the libraries', not tests or test harnesses. */
async function inputFiles(): Promise<string[]> {
  const roots = [...APPS.map((app) => join(REPO, 'apps', app)), join(REPO, 'libs')];
  const files: string[] = [join(REPO, 'tsconfig.base.json'), join(REPO, 'package-lock.json')];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!['node_modules', 'test', 'testing', 'testing-stack'].includes(entry.name)) await walk(path);
      } else if (!/\.spec\.ts$|jest\.config\.js$/.test(entry.name)) {
        files.push(path);
      }
    }
  };
  for (const root of roots) await walk(root);
  return files.sort();
}

async function sourceKey(): Promise<string> {
  const hash = createHash('sha256');
  for (const file of await inputFiles()) {
    hash.update(relative(REPO, file)).update('\0').update(await readFile(file)).update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

const exists = (path: string) => stat(path).then(() => true, () => false);

/**
 * The four apps built as `npm start` builds them (`nx run-many -t build`, webpack, one `main.js`
 * each), copied out of `dist/` into a directory of this source state's own: a drill that restarts
 * an app runs the same code as at its start even if `dist/` is rebuilt meanwhile, and every drill
 * of a test run (and of later runs, until a source file changes) reuses the one build. Concurrent
 * callers, in this process or other Jest workers, wait for the first one's build.
 */
export async function ensureAppBuild(): Promise<string> {
  await mkdir(BUILDS, { recursive: true });
  const key = await sourceKey();
  const dir = join(BUILDS, key);
  const lock = `${dir}.lock`;
  const deadline = Date.now() + BUILD_TIMEOUT_MS;
  while (!(await exists(dir))) {
    try {
      await mkdir(lock);
    } catch {
      // Another caller builds: wait for it, or take over when its lock is older than a build can be.
      const since = await stat(lock).then((s) => Date.now() - s.mtimeMs, () => 0);
      if (since > BUILD_TIMEOUT_MS) await rm(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`waited ${BUILD_TIMEOUT_MS / 1000} s for another build of the apps (${lock})`);
      await new Promise((r) => setTimeout(r, 500));
      continue;
    }
    try {
      await build(dir, key);
    } finally {
      await rm(lock, { recursive: true, force: true });
    }
  }
  await removeOldBuilds(key);
  return dir;
}

/** Where an app's bundle of a build lives. */
export function appMain(buildDir: string, app: AppName): string {
  return join(buildDir, app, 'main.js');
}

/**
 * Builds into `dir`, the build of the sources whose key is `key`. A source that changed while it
 * built (an edit, a checkout) would put another state's bundles under this key, for every later
 * run with these sources to reuse (seen: a fresh clone's drills ran apps that expected a migration
 * its sources did not have): such a build is thrown away.
 */
async function build(dir: string, key: string): Promise<void> {
  const args = ['nx', 'run-many', '-t', 'build', `--projects=${APPS.join(',')}`, '--outputStyle=static'];
  try {
    await promisify(execFile)('npx', args, {
      cwd: REPO,
      env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' },
      maxBuffer: 64 * 1024 * 1024,
      timeout: BUILD_TIMEOUT_MS,
    });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`building the apps failed (npx ${args.join(' ')}): ${e.message}\n${`${e.stdout ?? ''}${e.stderr ?? ''}`.slice(-4000)}`);
  }
  const partial = `${dir}.partial`;
  await rm(partial, { recursive: true, force: true });
  for (const app of APPS) {
    await mkdir(join(partial, app), { recursive: true });
    for (const file of ['main.js', 'main.js.map']) await copyFile(join(REPO, 'dist/apps', app, file), join(partial, app, file));
  }
  if ((await sourceKey()) !== key) {
    await rm(partial, { recursive: true, force: true });
    throw new Error(`the apps' sources changed while they were built (in ${REPO}); the build is not kept: run again`);
  }
  await rename(partial, dir);
}

async function removeOldBuilds(current: string): Promise<void> {
  for (const name of await readdir(BUILDS)) {
    if (name === current || name.endsWith('.lock')) continue;
    const path = join(BUILDS, name);
    const age = await stat(path).then((s) => Date.now() - s.mtimeMs, () => 0);
    if (age > KEEP_OLD_BUILDS_MS) await rm(path, { recursive: true, force: true });
  }
}
