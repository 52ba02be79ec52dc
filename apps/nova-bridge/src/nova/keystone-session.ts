import { Logger } from 'pino';
import { CodedError, ErrorCode } from '@volume/contracts';
import { NovaBridgeConfig } from '../config';
import { describeFetchError, novaFetch } from './nova-http';

/** A token is fetched again this long before Keystone says it expires (requests take time, clocks drift). */
export const TOKEN_REFRESH_MARGIN_MS = 60_000;

export interface CatalogEndpoint {
  interface: string;
  url: string;
  region?: string | null;
  region_id?: string | null;
}
export interface CatalogEntry {
  type: string;
  endpoints: CatalogEndpoint[];
}

interface Session {
  token: string;
  expiresAt: number;
  computeUrl: string;
}

/**
 * Keystone v3 password authentication of the bridge's service user, as keystoneauth does for
 * Cinder's `[nova]` section: one project-scoped token, re-used until shortly before it expires,
 * and the compute endpoint from its catalog. The password and tokens never reach a log line or an
 * error message.
 */
export class KeystoneSession {
  private session?: Session;
  private pending?: Promise<Session>;

  constructor(
    private readonly config: NovaBridgeConfig,
    private readonly log: Logger,
    private readonly signal: AbortSignal,
    private readonly now: () => number = Date.now,
  ) {}

  /** A valid token and the compute endpoint; concurrent callers share one authentication. */
  async get(): Promise<{ token: string; computeUrl: string }> {
    if (this.session && this.now() < this.session.expiresAt - TOKEN_REFRESH_MARGIN_MS) return this.session;
    this.pending ??= this.authenticate().finally(() => (this.pending = undefined));
    return this.pending;
  }

  /** Forget the token (Nova answered 401): the next `get` authenticates again. */
  invalidate(token: string): void {
    if (this.session?.token === token) this.session = undefined;
  }

  private async authenticate(): Promise<Session> {
    const c = this.config;
    const url = `${identityV3(c.NOVA_AUTH_URL)}/auth/tokens`;
    const body = {
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { name: c.NOVA_USERNAME, domain: { name: c.NOVA_USER_DOMAIN_NAME }, password: c.NOVA_PASSWORD } },
        },
        scope: { project: { name: c.NOVA_PROJECT_NAME, domain: { name: c.NOVA_PROJECT_DOMAIN_NAME } } },
      },
    };
    let res: Response;
    try {
      res = await novaFetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify(body),
        timeoutS: c.NOVA_TIMEOUT_S,
        signal: this.signal,
      });
    } catch (err) {
      throw new CodedError(ErrorCode.ComputeUnavailable, `Keystone at ${url} could not be reached: ${describeFetchError(err)}`);
    }
    const text = await res.text().catch(() => '');
    const who = `user ${c.NOVA_USERNAME} (domain ${c.NOVA_USER_DOMAIN_NAME}) in project ${c.NOVA_PROJECT_NAME} (domain ${c.NOVA_PROJECT_DOMAIN_NAME})`;
    if (res.status === 401 || res.status === 403) {
      throw new CodedError(ErrorCode.ComputeForbidden, `Keystone refused to authenticate ${who} (${res.status})`);
    }
    const token = res.headers.get('x-subject-token');
    if (res.status !== 201 || !token) {
      throw new CodedError(ErrorCode.ComputeUnavailable, `Keystone answered ${res.status} without a token for ${who}`);
    }
    const parsed = parseJson(text) as { token?: { expires_at?: string; catalog?: CatalogEntry[] } } | undefined;
    const expiresAt = Date.parse(parsed?.token?.expires_at ?? '');
    const computeUrl = c.NOVA_ENDPOINT_OVERRIDE || computeEndpoint(parsed?.token?.catalog ?? [], c.NOVA_INTERFACE, c.NOVA_REGION_NAME);
    if (!computeUrl) {
      throw new CodedError(
        ErrorCode.ComputeUnavailable,
        `the Keystone catalog of ${who} has no compute endpoint for interface ${c.NOVA_INTERFACE}` +
          (c.NOVA_REGION_NAME ? ` in region ${c.NOVA_REGION_NAME}` : ''),
      );
    }
    this.session = {
      token,
      // A token without a readable expiry is used for one request only.
      expiresAt: Number.isFinite(expiresAt) ? expiresAt : 0,
      computeUrl: computeUrl.replace(/\/+$/, ''),
    };
    this.log.info({ user: c.NOVA_USERNAME, project: c.NOVA_PROJECT_NAME, expiresAt: parsed?.token?.expires_at, computeUrl: this.session.computeUrl }, 'keystone token obtained for nova');
    return this.session;
  }
}

/** `NOVA_AUTH_URL` may name Keystone's root or its v3 endpoint, as keystoneauth's `auth_url` may. */
export function identityV3(authUrl: string): string {
  const base = authUrl.replace(/\/+$/, '');
  return /\/v3$/.test(base) ? base : `${base}/v3`;
}

/** The catalog's compute endpoint for an interface and region (empty region: the first one), as keystoneauth picks it. */
export function computeEndpoint(catalog: CatalogEntry[], iface: string, region: string): string | undefined {
  for (const entry of catalog) {
    if (entry.type !== 'compute') continue;
    const hit = entry.endpoints.find((e) => e.interface === iface && (!region || e.region_id === region || e.region === region));
    if (hit) return hit.url;
  }
  return undefined;
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
