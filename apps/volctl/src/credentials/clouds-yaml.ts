import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { UsageError } from '../exit-codes';
import type { AuthSettings } from './auth-settings';

/**
 * Where openstacksdk (and so openstackclient) looks, first found wins: `OS_CLIENT_CONFIG_FILE`, the
 * current directory, the user's config directory, then /etc/openstack. `secure.yaml` beside it (or
 * `OS_CLIENT_SECURE_FILE`) holds what should not sit in the shared file, passwords mostly.
 */
export function configSearchPath(file: 'clouds.yaml' | 'secure.yaml', env: NodeJS.ProcessEnv, cwd = process.cwd()): string[] {
  const override = file === 'clouds.yaml' ? env.OS_CLIENT_CONFIG_FILE : env.OS_CLIENT_SECURE_FILE;
  const userConfig = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return [...(override ? [override] : []), join(cwd, file), join(userConfig, 'openstack', file), join('/etc/openstack', file)];
}

type CloudEntry = {
  auth_type?: string;
  auth?: Record<string, unknown>;
  region_name?: string;
  interface?: string;
};

function readClouds(path: string): Record<string, CloudEntry> {
  try {
    const doc = parse(readFileSync(path, 'utf8')) as { clouds?: Record<string, CloudEntry> } | null;
    return doc?.clouds ?? {};
  } catch (err) {
    throw new UsageError(`cannot read ${path}: ${(err as Error).message}`);
  }
}

const text = (v: unknown): string | undefined => (v === undefined || v === null || v === '' ? undefined : String(v));

/** The `--os-cloud` entry, with its secure.yaml counterpart laid over it, as settings. */
export function cloudSettings(name: string, env: NodeJS.ProcessEnv, cwd = process.cwd()): AuthSettings {
  const file = configSearchPath('clouds.yaml', env, cwd).find((p) => existsSync(p));
  if (!file) throw new UsageError(`--os-cloud ${name}: no clouds.yaml (looked in ${configSearchPath('clouds.yaml', env, cwd).join(', ')})`);
  const entry = readClouds(file)[name];
  if (!entry) throw new UsageError(`--os-cloud ${name}: no such cloud in ${file}`);
  const secureFile = configSearchPath('secure.yaml', env, cwd).find((p) => existsSync(p));
  const secure = secureFile ? (readClouds(secureFile)[name] ?? {}) : {};
  const auth = { ...entry.auth, ...secure.auth };
  return {
    authType: text(secure.auth_type ?? entry.auth_type),
    authUrl: text(auth.auth_url),
    username: text(auth.username),
    password: text(auth.password),
    projectName: text(auth.project_name),
    projectId: text(auth.project_id),
    userDomainName: text(auth.user_domain_name),
    projectDomainName: text(auth.project_domain_name),
    userId: text(auth.user_id),
    endpoint: text(auth.endpoint),
    interface: text(secure.interface ?? entry.interface),
    regionName: text(secure.region_name ?? entry.region_name),
  };
}
