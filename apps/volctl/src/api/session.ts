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

interface CatalogEntry {
  type: string;
  endpoints: { interface: string; url: string; region?: string | null; region_id?: string | null }[];
}

/** A `.../v3` endpoint (a catalog entry without `%(project_id)s`) names no project: the token's is appended. */
function projectEndpoint(url: string, projectId: string): string {
  const base = url.replace(/\/+$/, '');
  return /\/v3$/.test(base) ? `${base}/${projectId}` : base;
}

function tokenRequest(c: PasswordCredentials): unknown {
  const user = c.userId ? { id: c.userId, password: c.password } : { name: c.username, domain: { name: c.userDomainName }, password: c.password };
  const project = c.projectId ? { id: c.projectId } : { name: c.projectName, domain: { name: c.projectDomainName } };
  return { auth: { identity: { methods: ['password'], password: { user } }, scope: { project } } };
}

/**
 * Keystone v3 password authentication for a user at a terminal: a project-scoped token with its
 * catalog, whose `volumev3` entry (interface and region as asked) is the endpoint. Not libs/auth's
 * KeystoneClient: that one is the server's (it brings the server's platform along and reads every
 * refusal as an outage), while this package must install on its own and tell a bad password (exit 3)
 * apart. Redirects are not followed: one would carry the password away.
 */
export async function keystoneSession(c: PasswordCredentials, fetchFn: Fetch = fetch): Promise<Session> {
  const url = `${c.authUrl.replace(/\/+$/, '').replace(/\/v3$/, '')}/v3/auth/tokens`;
  let res: Response;
  let body: { token?: { project?: { id?: string }; catalog?: CatalogEntry[] }; error?: { message?: string } } | undefined;
  try {
    res = await fetchFn(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(tokenRequest(c)),
      redirect: 'manual',
      signal: AbortSignal.timeout(30_000),
    });
    body = (await res.json().catch(() => undefined)) as typeof body;
  } catch (err) {
    throw new AuthError(`cannot reach Keystone at ${url}: ${networkReason(err)}`);
  }
  const token = res.headers.get('x-subject-token');
  if (res.status !== 201 || !token || !body?.token) {
    throw new AuthError(`Keystone refused the credentials (HTTP ${res.status})${body?.error?.message ? `: ${body.error.message}` : ''}`);
  }
  const projectId = body.token.project?.id ?? '';
  const services = body.token.catalog ?? [];
  const service = services.find((s) => s.type === 'volumev3') ?? services.find((s) => s.type === 'block-storage');
  const endpoint = service?.endpoints.find(
    (e) => e.interface === c.interface && (!c.regionName || e.region_id === c.regionName || e.region === c.regionName),
  );
  if (!endpoint) {
    const where = `interface ${c.interface}${c.regionName ? `, region ${c.regionName}` : ''}`;
    throw new AuthError(`the catalog has no volumev3 endpoint (${where})`);
  }
  return { endpoint: projectEndpoint(endpoint.url, projectId), headers: { 'x-auth-token': token } };
}

/** The session the credentials give: noauth needs no call (its token is `user:project`). */
export async function openSession(c: Credentials, fetchFn: Fetch = fetch): Promise<Session> {
  if (c.kind === 'password') return keystoneSession(c, fetchFn);
  return { endpoint: projectEndpoint(c.endpoint, c.projectId), headers: { 'x-auth-token': `${c.userId}:${c.projectId}` } };
}
