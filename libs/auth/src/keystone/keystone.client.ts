import { CodedError, ErrorCode } from '@volume/contracts';

/** What Keystone says about a valid token (keystoneauth's AccessInfo, the parts a caller needs). */
export interface KeystoneToken {
  userId: string;
  userDomainId?: string;
  /** Absent for an unscoped, domain- or system-scoped token. */
  projectId?: string;
  projectDomainId?: string;
  /** Role names, lower-cased, implied roles included (Keystone lists them). */
  roles: string[];
  expiresAt: string;
  /** Absent from Keystone's answer unless it names an admin project: then true, as keystoneauth reads it. */
  isAdminProject: boolean;
}

/** Keystone's verdict on a subject token, or that it refused our own (service) token. */
export type Verdict = { valid: true; token: KeystoneToken } | { valid: false } | { serviceTokenRefused: true };

export interface PasswordCredentials {
  username: string;
  password: string;
  userDomainName: string;
  projectName: string;
  projectDomainName: string;
  /** Instead of the name and its domain (openstackclient's OS_USER_ID). */
  userId?: string;
  /** Instead of the name and its domain (OS_PROJECT_ID). */
  projectId?: string;
}

/** One endpoint of a service in Keystone's catalog. */
export interface CatalogEndpoint {
  interface: string;
  url: string;
  region?: string | null;
  region_id?: string | null;
}

/** A service in Keystone's catalog (`token.catalog`), where a client finds another service's endpoint. */
export interface CatalogEntry {
  type: string;
  endpoints: CatalogEndpoint[];
}

export interface IssuedToken {
  token: string;
  /** The project the token is scoped to: a call with it names this project in its URL. */
  projectId?: string;
  issuedAt: number;
  expiresAt: number;
  /** The service catalog, when the issue asked for it (`catalog: true`). */
  catalog?: CatalogEntry[];
}

export interface IssueOptions {
  /** Ask for the catalog too: for a client that calls another service (Nova) at the endpoint it names. */
  catalog?: boolean;
}

export type Fetch = typeof fetch;

/** keystonemiddleware's words when it cannot ask Keystone (Cinder then answers 503). */
export const KEYSTONE_UNAVAILABLE = 'The Keystone service is temporarily unavailable.';

/**
 * 503 for the client; `reason` (never a token or password) is for the log. `status` (what Keystone
 * answered) or `fetchError` (why no answer came) let a caller with its own errors tell a refused
 * password from an outage.
 */
export class KeystoneUnavailable extends CodedError {
  constructor(
    readonly reason: string,
    readonly status?: number,
    readonly fetchError?: unknown,
  ) {
    super(ErrorCode.Unavailable, KEYSTONE_UNAVAILABLE);
  }
}

interface TokenBody {
  user?: { id?: string; domain?: { id?: string } };
  project?: { id?: string; domain?: { id?: string } };
  roles?: { name?: string }[];
  expires_at?: string;
  issued_at?: string;
  is_admin_project?: boolean;
  catalog?: CatalogEntry[];
}

function parseToken(body: unknown): KeystoneToken | undefined {
  const t = (body as { token?: TokenBody } | undefined)?.token;
  if (!t?.user?.id || !t.expires_at || Number.isNaN(Date.parse(t.expires_at))) return undefined;
  return {
    userId: t.user.id,
    userDomainId: t.user.domain?.id,
    projectId: t.project?.id,
    projectDomainId: t.project?.domain?.id,
    roles: [...new Set((t.roles ?? []).map((r) => String(r.name ?? '').toLowerCase()).filter(Boolean))],
    expiresAt: t.expires_at,
    isAdminProject: t.is_admin_project ?? true,
  };
}

/**
 * The URL of the first catalog service of `types` (in that order: `volumev3`, then `block-storage`)
 * with an endpoint of that interface and region (no region: any), as keystoneauth picks it.
 */
export function catalogEndpoint(catalog: CatalogEntry[], types: string[], iface: string, region?: string): string | undefined {
  for (const type of types) {
    for (const entry of catalog.filter((e) => e.type === type)) {
      const hit = entry.endpoints.find((e) => e.interface === iface && (!region || e.region_id === region || e.region === region));
      if (hit) return hit.url;
    }
  }
  return undefined;
}

/**
 * The two calls keystonemiddleware makes to Keystone v3: password authentication of the service
 * user, and `GET /v3/auth/tokens` of a caller's token. Every failure to get an answer (refused
 * connection, timeout, 5xx, an answer that is not Keystone's) is `Unavailable`, never a verdict.
 * `stop`, when its owner aborts it, ends a call in flight at once (a process that shuts down).
 */
export class KeystoneClient {
  constructor(
    private readonly baseUrl: string,
    private readonly timeoutMs: number,
    private readonly fetchFn: Fetch = fetch,
    private readonly stop?: AbortSignal,
  ) {}

  private async call(url: string, init: RequestInit): Promise<{ status: number; body: unknown; subjectToken: string | null }> {
    let res: Response;
    let text: string;
    try {
      const timeout = AbortSignal.timeout(this.timeoutMs);
      // Never followed: a redirect would carry the password or the service token to wherever it points.
      res = await this.fetchFn(url, { ...init, redirect: 'manual', signal: this.stop ? AbortSignal.any([this.stop, timeout]) : timeout });
      text = await res.text();
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      const reason =
        e.name === 'TimeoutError' ? `no answer within ${this.timeoutMs} ms` : e.name === 'AbortError' ? 'aborted (stopping)' : `unreachable (${e.cause?.code ?? e.name})`;
      throw new KeystoneUnavailable(reason, undefined, err);
    }
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    return { status: res.status, body, subjectToken: res.headers.get('x-subject-token') };
  }

  /** A project-scoped token of the service user; `Unavailable` when Keystone refuses or is unreachable. */
  async issue(c: PasswordCredentials, options: IssueOptions = {}): Promise<IssuedToken> {
    const user = c.userId ? { id: c.userId, password: c.password } : { name: c.username, domain: { name: c.userDomainName }, password: c.password };
    const project = c.projectId ? { id: c.projectId } : { name: c.projectName, domain: { name: c.projectDomainName } };
    const auth = { identity: { methods: ['password'], password: { user } }, scope: { project } };
    const res = await this.call(`${this.baseUrl}/v3/auth/tokens${options.catalog ? '' : '?nocatalog'}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ auth }),
    });
    const token = parseToken(res.body);
    if (res.status !== 201 || !res.subjectToken || !token) {
      throw new KeystoneUnavailable(`the service user's authentication answered HTTP ${res.status}`, res.status);
    }
    const body = (res.body as { token: TokenBody }).token;
    const expiresAt = Date.parse(token.expiresAt);
    const issuedAt = Date.parse(body.issued_at ?? '') || expiresAt;
    const catalog = options.catalog ? (body.catalog ?? []) : undefined;
    return { token: res.subjectToken, projectId: token.projectId, issuedAt, expiresAt, catalog };
  }

  /**
   * Asks Keystone about `subject`. 404 (and any other 4xx but 401/403) is an invalid token, as
   * keystonemiddleware reads NotFound; 401 means Keystone refused our own token; 403 (the service
   * user may not validate tokens) is a deployment fault, answered as unavailable.
   */
  async validate(serviceToken: string, subject: string): Promise<Verdict> {
    const res = await this.call(`${this.baseUrl}/v3/auth/tokens?nocatalog`, {
      method: 'GET',
      headers: { accept: 'application/json', 'x-auth-token': serviceToken, 'x-subject-token': subject },
    });
    if (res.status === 200) {
      const token = parseToken(res.body);
      if (!token) throw new KeystoneUnavailable('a token validation answered 200 without a token');
      return { valid: true, token };
    }
    if (res.status === 401) return { serviceTokenRefused: true };
    if (res.status === 403 || res.status >= 500 || res.status < 400) {
      throw new KeystoneUnavailable(`a token validation answered HTTP ${res.status}`);
    }
    return { valid: false };
  }
}
