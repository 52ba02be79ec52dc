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
}

export interface IssuedToken {
  token: string;
  /** The project the token is scoped to: a call with it names this project in its URL. */
  projectId?: string;
  issuedAt: number;
  expiresAt: number;
}

export type Fetch = typeof fetch;

/** keystonemiddleware's words when it cannot ask Keystone (Cinder then answers 503). */
export const KEYSTONE_UNAVAILABLE = 'The Keystone service is temporarily unavailable.';

/** 503 for the client; `reason` (never a token or password) is for the log. */
export class KeystoneUnavailable extends CodedError {
  constructor(readonly reason: string) {
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
 * The two calls keystonemiddleware makes to Keystone v3: password authentication of the service
 * user, and `GET /v3/auth/tokens` of a caller's token. Every failure to get an answer (refused
 * connection, timeout, 5xx, an answer that is not Keystone's) is `Unavailable`, never a verdict.
 */
export class KeystoneClient {
  constructor(
    private readonly baseUrl: string,
    private readonly timeoutMs: number,
    private readonly fetchFn: Fetch = fetch,
  ) {}

  private async call(url: string, init: RequestInit): Promise<{ status: number; body: unknown; subjectToken: string | null }> {
    let res: Response;
    let text: string;
    try {
      res = await this.fetchFn(url, { ...init, signal: AbortSignal.timeout(this.timeoutMs) });
      text = await res.text();
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      throw new KeystoneUnavailable(e.name === 'TimeoutError' ? `no answer within ${this.timeoutMs} ms` : `unreachable (${e.cause?.code ?? e.name})`);
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
  async issue(c: PasswordCredentials): Promise<IssuedToken> {
    const auth = {
      identity: { methods: ['password'], password: { user: { name: c.username, domain: { name: c.userDomainName }, password: c.password } } },
      scope: { project: { name: c.projectName, domain: { name: c.projectDomainName } } },
    };
    const res = await this.call(`${this.baseUrl}/v3/auth/tokens?nocatalog`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ auth }),
    });
    const token = parseToken(res.body);
    if (res.status !== 201 || !res.subjectToken || !token) {
      throw new KeystoneUnavailable(`the service user's authentication answered HTTP ${res.status}`);
    }
    const expiresAt = Date.parse(token.expiresAt);
    const issuedAt = Date.parse((res.body as { token: TokenBody }).token.issued_at ?? '') || expiresAt;
    return { token: res.subjectToken, projectId: token.projectId, issuedAt, expiresAt };
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
