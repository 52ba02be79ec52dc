import { catalogEndpoint, KeystoneClient, KeystoneUnavailable } from '@volume/auth/keystone-client';
import { AuthError } from '../exit-codes';
import { networkReason } from './network-reason';
import type { Credentials } from '../credentials/auth-settings';

/** Where the project's Block Storage API is (`.../v3/<project_id>`), and the headers that authenticate a call. */
export interface Session {
  endpoint: string;
  headers: Record<string, string>;
}

export type Fetch = typeof fetch;

type PasswordCredentials = Extract<Credentials, { kind: 'password' }>;

const KEYSTONE_TIMEOUT_MS = 30_000;

/** A `.../v3` endpoint (a catalog entry without `%(project_id)s`) names no project: the token's is appended. */
function projectEndpoint(url: string, projectId: string): string {
  const base = url.replace(/\/+$/, '');
  return /\/v3$/.test(base) ? `${base}/${projectId}` : base;
}

/**
 * Keystone v3 password authentication for a user at a terminal, with the server's KeystoneClient (a
 * plain HTTP client, bundled into this package without the server around it): a project-scoped
 * token with its catalog, whose `volumev3` entry (interface and region as asked) is the endpoint.
 * Every failure is exit 3, a refused password told apart from an unreachable Keystone.
 */
export async function keystoneSession(c: PasswordCredentials, fetchFn: Fetch = fetch): Promise<Session> {
  const base = c.authUrl.replace(/\/+$/, '').replace(/\/v3$/, '');
  let issued;
  try {
    issued = await new KeystoneClient(base, KEYSTONE_TIMEOUT_MS, fetchFn).issue(
      {
        username: c.username ?? '',
        userId: c.userId,
        password: c.password,
        userDomainName: c.userDomainName,
        projectName: c.projectName ?? '',
        projectId: c.projectId,
        projectDomainName: c.projectDomainName,
      },
      { catalog: true },
    );
  } catch (err) {
    if (!(err instanceof KeystoneUnavailable)) throw err;
    if (err.status !== undefined) throw new AuthError(`Keystone refused the credentials (HTTP ${err.status})`);
    throw new AuthError(`cannot reach Keystone at ${base}/v3/auth/tokens: ${err.fetchError ? networkReason(err.fetchError) : err.reason}`);
  }
  const endpoint = catalogEndpoint(issued.catalog ?? [], ['volumev3', 'block-storage'], c.interface, c.regionName);
  if (!endpoint) {
    const where = `interface ${c.interface}${c.regionName ? `, region ${c.regionName}` : ''}`;
    throw new AuthError(`the catalog has no volumev3 endpoint (${where})`);
  }
  return { endpoint: projectEndpoint(endpoint, issued.projectId ?? ''), headers: { 'x-auth-token': issued.token } };
}

/** The session the credentials give: noauth needs no call (its token is `user:project`). */
export async function openSession(c: Credentials, fetchFn: Fetch = fetch): Promise<Session> {
  if (c.kind === 'password') return keystoneSession(c, fetchFn);
  return { endpoint: projectEndpoint(c.endpoint, c.projectId), headers: { 'x-auth-token': `${c.userId}:${c.projectId}` } };
}
