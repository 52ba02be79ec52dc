import { Logger } from 'pino';
import { catalogEndpoint, CatalogEntry, IssuedToken, KeystoneClient, keystoneBaseUrl, KeystoneUnavailable, ServiceTokenSource } from '@volume/auth';
import { CodedError, ErrorCode } from '@volume/contracts';
import { NovaBridgeConfig } from '../config';
import { describeFetchError } from './nova-http';

/**
 * Keystone v3 password authentication of the bridge's service user, as keystoneauth does for
 * Cinder's `[nova]` section: libs/auth's service token (one project-scoped token, re-used until
 * shortly before it expires, one issue shared by concurrent callers, forgotten when Nova refuses
 * it), asked for with its catalog, and the compute endpoint found there. Keystone's failures
 * become the bridge's own `NOVA.*` errors here. The password and tokens never reach a log line or
 * an error message.
 */
export class KeystoneSession {
  private readonly tokens: ServiceTokenSource;
  /** The compute endpoint of the token last issued (each new token's catalog is read once). */
  private resolved?: { issued: IssuedToken; computeUrl: string };

  constructor(
    private readonly config: NovaBridgeConfig,
    private readonly log: Logger,
    signal: AbortSignal,
    now: () => number = Date.now,
  ) {
    const c = config;
    const client = new KeystoneClient(keystoneBaseUrl(c.NOVA_AUTH_URL), c.NOVA_TIMEOUT_S * 1000, fetch, signal);
    const credentials = {
      username: c.NOVA_USERNAME,
      password: c.NOVA_PASSWORD,
      userDomainName: c.NOVA_USER_DOMAIN_NAME,
      projectName: c.NOVA_PROJECT_NAME,
      projectDomainName: c.NOVA_PROJECT_DOMAIN_NAME,
    };
    this.tokens = new ServiceTokenSource(client, credentials, now, { catalog: true });
  }

  /** A valid token and the compute endpoint; concurrent callers share one authentication. */
  async get(): Promise<{ token: string; computeUrl: string }> {
    let issued: IssuedToken;
    try {
      issued = await this.tokens.issued();
    } catch (err) {
      throw err instanceof KeystoneUnavailable ? this.novaError(err) : err;
    }
    if (this.resolved?.issued !== issued) this.resolved = { issued, computeUrl: this.computeUrlOf(issued) };
    return { token: issued.token, computeUrl: this.resolved.computeUrl };
  }

  /** Forget the token (Nova answered 401): the next `get` authenticates again. */
  invalidate(token: string): void {
    this.tokens.discard(token);
  }

  private computeUrlOf(issued: IssuedToken): string {
    const c = this.config;
    const computeUrl = c.NOVA_ENDPOINT_OVERRIDE || computeEndpoint(issued.catalog ?? [], c.NOVA_INTERFACE, c.NOVA_REGION_NAME);
    if (!computeUrl) {
      throw new CodedError(
        ErrorCode.ComputeUnavailable,
        `the Keystone catalog of ${this.who()} has no compute endpoint for interface ${c.NOVA_INTERFACE}` +
          (c.NOVA_REGION_NAME ? ` in region ${c.NOVA_REGION_NAME}` : ''),
      );
    }
    const url = computeUrl.replace(/\/+$/, '');
    this.log.info(
      { user: c.NOVA_USERNAME, project: c.NOVA_PROJECT_NAME, expiresAt: new Date(issued.expiresAt).toISOString(), computeUrl: url },
      'keystone token obtained for nova',
    );
    return url;
  }

  /** libs/auth's Keystone failure (a 503 for volume-api's callers) as the bridge's: a refused password is NOVA.FORBIDDEN. */
  private novaError(err: KeystoneUnavailable): CodedError {
    if (err.status === undefined) {
      const url = `${keystoneBaseUrl(this.config.NOVA_AUTH_URL)}/v3/auth/tokens`;
      return new CodedError(ErrorCode.ComputeUnavailable, `Keystone at ${url} could not be reached: ${describeFetchError(err.fetchError)}`);
    }
    if (err.status === 401 || err.status === 403) {
      return new CodedError(ErrorCode.ComputeForbidden, `Keystone refused to authenticate ${this.who()} (${err.status})`);
    }
    return new CodedError(ErrorCode.ComputeUnavailable, `Keystone answered ${err.status} without a token for ${this.who()}`);
  }

  private who(): string {
    const c = this.config;
    return `user ${c.NOVA_USERNAME} (domain ${c.NOVA_USER_DOMAIN_NAME}) in project ${c.NOVA_PROJECT_NAME} (domain ${c.NOVA_PROJECT_DOMAIN_NAME})`;
  }
}

/** The catalog's compute endpoint for an interface and region (empty region: the first one), as keystoneauth picks it. */
export function computeEndpoint(catalog: CatalogEntry[], iface: string, region: string): string | undefined {
  return catalogEndpoint(catalog, ['compute'], iface, region || undefined);
}
