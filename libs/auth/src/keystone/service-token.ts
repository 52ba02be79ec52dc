import { Fetch, IssuedToken, IssueOptions, KeystoneClient, PasswordCredentials } from './keystone.client';
import { KeystoneConfig, keystoneBaseUrl } from './keystone.config';

/** The soonest a service token is renewed before it expires: keystoneauth re-authenticates well ahead too. */
const RENEW_AHEAD_MS = 120_000;

/**
 * The service user's own token, which every validation presents (and nova-bridge's calls to
 * volume-api as the service): issued on first use, renewed once less than RENEW_AHEAD_MS (or half
 * its lifetime, if shorter) is left, and again at once if Keystone refuses it (revoked, keys
 * rotated). Concurrent callers share one issue. nova-bridge's Nova client keeps its token (with
 * the catalog, `issueOptions`) in one too.
 */
export class ServiceTokenSource {
  private current?: IssuedToken;
  private issuing?: Promise<IssuedToken>;

  constructor(
    private readonly client: KeystoneClient,
    private readonly credentials: PasswordCredentials,
    private readonly now: () => number,
    private readonly issueOptions: IssueOptions = {},
  ) {}

  async get(): Promise<string> {
    return (await this.issued()).token;
  }

  /** The token with what Keystone said of it (its project, its expiry). */
  async issued(): Promise<IssuedToken> {
    const t = this.current;
    if (t && !this.dueForRenewal(t)) return t;
    return this.renew();
  }

  /** Drops `token` after Keystone (or a service that asked it) refused it, so that the next get() issues another. */
  discard(token: string): void {
    if (this.current?.token === token) this.current = undefined;
  }

  private dueForRenewal(t: IssuedToken): boolean {
    const ahead = Math.min(RENEW_AHEAD_MS, (t.expiresAt - t.issuedAt) / 2);
    return this.now() >= t.expiresAt - ahead;
  }

  private renew(): Promise<IssuedToken> {
    this.issuing ??= this.client
      .issue(this.credentials, this.issueOptions)
      .then((t) => (this.current = t))
      .finally(() => (this.issuing = undefined));
    return this.issuing;
  }
}

/** The Keystone client the KEYSTONE_* settings name (KEYSTONE_AUTH_URL, KEYSTONE_TIMEOUT_S). */
export function keystoneClientFor(config: KeystoneConfig, fetchFn?: Fetch): KeystoneClient {
  return new KeystoneClient(keystoneBaseUrl(config.KEYSTONE_AUTH_URL), config.KEYSTONE_TIMEOUT_S * 1000, fetchFn);
}

/**
 * The token of the service user the KEYSTONE_* settings name (password auth, scoped to
 * KEYSTONE_PROJECT_NAME): what a port validates tokens with, and what nova-bridge calls volume-api
 * as when no caller is behind a call. `fetch` and `now` replace the network and the clock in tests.
 */
export function serviceTokenSource(config: KeystoneConfig, deps: { fetch?: Fetch; now?: () => number } = {}): ServiceTokenSource {
  return new ServiceTokenSource(
    keystoneClientFor(config, deps.fetch),
    {
      username: config.KEYSTONE_USERNAME,
      password: config.KEYSTONE_PASSWORD,
      userDomainName: config.KEYSTONE_USER_DOMAIN_NAME,
      projectName: config.KEYSTONE_PROJECT_NAME,
      projectDomainName: config.KEYSTONE_PROJECT_DOMAIN_NAME,
    },
    deps.now ?? Date.now,
  );
}
