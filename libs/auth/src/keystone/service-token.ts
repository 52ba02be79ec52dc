import { IssuedToken, KeystoneClient, PasswordCredentials } from './keystone.client';

/** The soonest a service token is renewed before it expires: keystoneauth re-authenticates well ahead too. */
const RENEW_AHEAD_MS = 120_000;

/**
 * The service user's own token, which every validation presents: issued on first use, renewed once
 * less than RENEW_AHEAD_MS (or half its lifetime, if shorter) is left, and again at once if Keystone
 * refuses it (revoked, keys rotated). Concurrent callers share one issue.
 */
export class ServiceTokenSource {
  private current?: IssuedToken;
  private issuing?: Promise<IssuedToken>;

  constructor(
    private readonly client: KeystoneClient,
    private readonly credentials: PasswordCredentials,
    private readonly now: () => number,
  ) {}

  async get(): Promise<string> {
    const t = this.current;
    if (t && !this.dueForRenewal(t)) return t.token;
    return (await this.renew()).token;
  }

  /** Drops `token` after Keystone refused it, so that the next get() issues another. */
  discard(token: string): void {
    if (this.current?.token === token) this.current = undefined;
  }

  private dueForRenewal(t: IssuedToken): boolean {
    const ahead = Math.min(RENEW_AHEAD_MS, (t.expiresAt - t.issuedAt) / 2);
    return this.now() >= t.expiresAt - ahead;
  }

  private renew(): Promise<IssuedToken> {
    this.issuing ??= this.client
      .issue(this.credentials)
      .then((t) => (this.current = t))
      .finally(() => (this.issuing = undefined));
    return this.issuing;
  }
}
