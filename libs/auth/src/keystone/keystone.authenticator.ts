import { Logger } from 'pino';
import { CodedError, ErrorCode } from '@volume/contracts';
import { Caller, UNAUTHORIZED } from '../auth';
import { Authenticator } from '../authenticator';
import { AuthConfig } from './keystone.config';
import { Fetch, KeystoneClient, KeystoneToken, KeystoneUnavailable } from './keystone.client';
import { keystoneClientFor, ServiceTokenSource, serviceTokenSource } from './service-token';
import { TokenCache, tokenHash, TokenLookup } from './token-cache';

type Headers = Record<string, string | string[] | undefined>;

/** How long an invalid token is answered from memory: short, a token cannot become valid. */
export const INVALID_TOKEN_CACHE_MS = 10_000;
const MAX_CACHED_VALID = 10_000;
const MAX_CACHED_INVALID = 10_000;
/** Keystone's tokens are a few hundred characters; anything this long is no token of its. */
const MAX_TOKEN_LENGTH = 8192;
const TOKEN_SHAPE = /^[\x21-\x7e]+$/;

export interface KeystoneDeps {
  fetch?: Fetch;
  /** Milliseconds since the epoch (a fake clock in tests). */
  now?: () => number;
  /**
   * The service user's token source to validate with, when the process uses the same token for
   * more (nova-bridge calls volume-api with it): one token, issued and renewed once.
   */
  serviceTokens?: ServiceTokenSource;
}

function unauthorized(): CodedError {
  return new CodedError(ErrorCode.Unauthorized, UNAUTHORIZED);
}

function tokenOf(headers: Headers, name: string): string | undefined {
  const raw = headers[name];
  // keystonemiddleware strips the whitespace a client may leave around a token (bug 1689468).
  const value = (Array.isArray(raw) ? raw[0] : raw)?.trim();
  return value ? value : undefined;
}

/**
 * keystonemiddleware's auth_token, in process: every request's X-Auth-Token is validated with
 * Keystone v3 (through the cache), and the caller is what Keystone says about it. No identity
 * header a client sends (X-User-Id, X-Project-Id, X-Roles, X-Identity-Status, X-Service-*,
 * X-Tenant-*) is read. An X-Service-Token (Nova calling for a user) must be valid too; if its roles
 * include one of KEYSTONE_SERVICE_TOKEN_ROLES, the request also has the `service` role.
 */
export class KeystoneAuthenticator implements Authenticator {
  readonly strategy = 'keystone' as const;
  private readonly client: KeystoneClient;
  private readonly serviceToken: ServiceTokenSource;
  private readonly cache: TokenCache<KeystoneToken>;
  private readonly now: () => number;
  private closed = false;

  constructor(
    private readonly config: AuthConfig,
    private readonly log: Logger,
    deps: KeystoneDeps = {},
  ) {
    this.now = deps.now ?? Date.now;
    this.client = keystoneClientFor(config, deps.fetch);
    this.serviceToken = deps.serviceTokens ?? serviceTokenSource(config, { fetch: deps.fetch, now: this.now });
    this.cache = new TokenCache<KeystoneToken>({
      validTtlMs: config.KEYSTONE_TOKEN_CACHE_S * 1000,
      invalidTtlMs: INVALID_TOKEN_CACHE_MS,
      maxValid: MAX_CACHED_VALID,
      maxInvalid: MAX_CACHED_INVALID,
      now: this.now,
    });
  }

  async authenticate(headers: Headers): Promise<Caller> {
    if (this.closed) throw new KeystoneUnavailable('the authenticator is closed');
    const userToken = tokenOf(headers, 'x-auth-token');
    if (!userToken) throw unauthorized();
    const user = await this.verify(userToken, 'user');
    if (!user.projectId) {
      // Cinder's resources all belong to a project: a token without a project scope names none.
      this.log.info({ token: tokenHash(userToken).slice(0, 8), userId: user.userId }, 'token has no project scope: refused');
      throw unauthorized();
    }
    const serviceToken = tokenOf(headers, 'x-service-token');
    const asService = serviceToken !== undefined && this.isServiceRoleToken(await this.verify(serviceToken, 'service'));
    const roles = asService && !user.roles.includes('service') ? [...user.roles, 'service'] : user.roles;
    return {
      userId: user.userId,
      projectId: user.projectId,
      roles,
      isAdmin: roles.includes('admin'),
      isService: roles.includes('service'),
      expiresAt: user.expiresAt,
      isAdminProject: user.isAdminProject,
      userDomainId: user.userDomainId,
      projectDomainId: user.projectDomainId,
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.cache.clear();
  }

  /** A valid service token whose roles do not qualify is accepted, without the role (keystonemiddleware's default). */
  private isServiceRoleToken(token: KeystoneToken): boolean {
    return token.roles.some((r) => this.config.KEYSTONE_SERVICE_TOKEN_ROLES.some((wanted) => wanted.toLowerCase() === r));
  }

  /** The token's data, or 401 (invalid, expired, malformed), or 503 (Keystone cannot say). */
  private async verify(token: string, which: 'user' | 'service'): Promise<KeystoneToken> {
    if (token.length > MAX_TOKEN_LENGTH || !TOKEN_SHAPE.test(token)) throw unauthorized();
    const verdict = await this.cache.lookup(token, () => this.askKeystone(token));
    if (!verdict.valid) {
      this.log.debug({ token: tokenHash(token).slice(0, 8), which }, 'invalid token: refused');
      throw unauthorized();
    }
    return verdict.value;
  }

  /** One validation, logged if Keystone cannot give it. */
  private async askKeystone(token: string): Promise<TokenLookup<KeystoneToken>> {
    try {
      return await this.validateOnce(token);
    } catch (err) {
      const reason = err instanceof KeystoneUnavailable ? err.reason : String(err);
      this.log.error({ reason, keystone: this.config.KEYSTONE_AUTH_URL }, 'cannot validate a token with Keystone: answering 503');
      throw err instanceof KeystoneUnavailable ? err : new KeystoneUnavailable(reason);
    }
  }

  /** A refusal of our own token gets it renewed and the question asked once more. */
  private async validateOnce(token: string): Promise<TokenLookup<KeystoneToken>> {
    for (let attempt = 0; ; attempt++) {
      const serviceToken = await this.serviceToken.get();
      const verdict = await this.client.validate(serviceToken, token);
      if ('serviceTokenRefused' in verdict) {
        this.serviceToken.discard(serviceToken);
        if (attempt === 0) continue;
        throw new KeystoneUnavailable('Keystone refused a freshly issued service token');
      }
      return verdict.valid ? { valid: true, value: verdict.token, expiresAt: Date.parse(verdict.token.expiresAt) } : { valid: false };
    }
  }
}
