import { AuthError } from '../exit-codes';

/** The OpenStack auth settings, each from a flag, an `OS_*` variable or a clouds.yaml entry. */
export interface AuthSettings {
  authType?: string;
  authUrl?: string;
  username?: string;
  password?: string;
  projectName?: string;
  projectId?: string;
  userDomainName?: string;
  projectDomainName?: string;
  userId?: string;
  endpoint?: string;
  interface?: string;
  regionName?: string;
}

/** Each setting's variable, as openstackclient names them (the flag is `--os-` and the rest in kebab case). */
export const ENV_NAMES: Record<keyof AuthSettings, string> = {
  authType: 'OS_AUTH_TYPE',
  authUrl: 'OS_AUTH_URL',
  username: 'OS_USERNAME',
  password: 'OS_PASSWORD',
  projectName: 'OS_PROJECT_NAME',
  projectId: 'OS_PROJECT_ID',
  userDomainName: 'OS_USER_DOMAIN_NAME',
  projectDomainName: 'OS_PROJECT_DOMAIN_NAME',
  userId: 'OS_USER_ID',
  endpoint: 'OS_ENDPOINT',
  interface: 'OS_INTERFACE',
  regionName: 'OS_REGION_NAME',
};

export type Credentials =
  /** This repository's noauth: the token is `user:project` (libs/auth), the endpoint gets the project appended, as cinderclient's noauth does. */
  | { kind: 'noauth'; endpoint: string; userId: string; projectId: string }
  /** Keystone v3 password authentication; the volume endpoint comes from the token's catalog. */
  | {
      kind: 'password';
      authUrl: string;
      username?: string;
      userId?: string;
      password: string;
      userDomainName: string;
      projectName?: string;
      projectId?: string;
      projectDomainName: string;
      interface: string;
      regionName?: string;
    };

export function settingsFromEnv(env: NodeJS.ProcessEnv): AuthSettings {
  const settings: AuthSettings = {};
  for (const [key, name] of Object.entries(ENV_NAMES) as [keyof AuthSettings, string][]) {
    if (env[name]) settings[key] = env[name];
  }
  return settings;
}

/** Layers settings, the first that names a value winning (flags, then the environment, then the cloud). */
export function mergeSettings(...layers: AuthSettings[]): AuthSettings {
  const merged: AuthSettings = {};
  for (const layer of [...layers].reverse()) {
    for (const [key, value] of Object.entries(layer) as [keyof AuthSettings, string | undefined][]) {
      if (value !== undefined) merged[key] = value;
    }
  }
  return merged;
}

function missing(names: (keyof AuthSettings)[]): AuthError {
  const listed = names.map((n) => `${ENV_NAMES[n]} (--os-${ENV_NAMES[n].slice(3).toLowerCase().replace(/_/g, '-')})`).join(', ');
  return new AuthError(`missing credentials: set ${listed}, or name a clouds.yaml entry with --os-cloud`);
}

/**
 * The credentials the settings describe: noauth with `OS_AUTH_TYPE=noauth` (or `none`), Keystone
 * password otherwise. The domains default to `Default`, Keystone's own, as most single-domain clouds
 * need; the interface to `public`, as keystoneauth's (`publicURL` is read as `public`).
 */
export function credentialsOf(s: AuthSettings): Credentials {
  const authType = (s.authType ?? 'password').toLowerCase();
  if (authType === 'noauth' || authType === 'none') {
    const lacking = (['endpoint', 'userId'] as const).filter((k) => !s[k]);
    if (lacking.length) throw missing(lacking);
    return { kind: 'noauth', endpoint: s.endpoint!.replace(/\/+$/, ''), userId: s.userId!, projectId: s.projectId ?? s.userId! };
  }
  if (authType !== 'password' && authType !== 'v3password') {
    throw new AuthError(`unsupported auth type '${s.authType}': use password (Keystone v3) or noauth`);
  }
  const lacking: (keyof AuthSettings)[] = [];
  if (!s.authUrl) lacking.push('authUrl');
  if (!s.username && !s.userId) lacking.push('username');
  if (!s.password) lacking.push('password');
  if (!s.projectName && !s.projectId) lacking.push('projectName');
  if (lacking.length) throw missing(lacking);
  return {
    kind: 'password',
    authUrl: s.authUrl!,
    username: s.username,
    userId: s.userId,
    password: s.password!,
    userDomainName: s.userDomainName ?? 'Default',
    projectName: s.projectName,
    projectId: s.projectId,
    projectDomainName: s.projectDomainName ?? 'Default',
    interface: (s.interface ?? 'public').replace(/URL$/, ''),
    regionName: s.regionName,
  };
}
