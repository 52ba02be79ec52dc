import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';

/** What a token is: valid until `expiresAt` (ms since the epoch) with `value`, or not valid. */
export type TokenLookup<T> = { valid: true; value: T; expiresAt: number } | { valid: false };

export interface TokenCacheOptions {
  /** Longest a valid token is trusted without asking again (KEYSTONE_TOKEN_CACHE_S), ms; 0 = never cached. */
  validTtlMs: number;
  /** How long an invalid token is answered from memory, ms. */
  invalidTtlMs: number;
  /** Bounds on the entries of each kind: a flood of distinct tokens evicts the oldest, never grows memory. */
  maxValid: number;
  maxInvalid: number;
  now: () => number;
}

/** sha256 of a token, hex: the only form in which a token is kept (or logged, as a prefix). */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * keystonemiddleware's token cache: valid tokens by a hash of the token, for at most `validTtlMs`
 * and never past their expiry; invalid tokens for `invalidTtlMs`, apart, so that a flood of bad
 * tokens neither reaches Keystone each time nor evicts the good ones. Concurrent lookups of one
 * token share one validation. A validation that fails (Keystone unavailable) is not remembered.
 */
export class TokenCache<T> {
  private readonly validEntries: LRUCache<string, { value: T; expiresAt: number; until: number }>;
  private readonly invalidEntries: LRUCache<string, { until: number }>;
  private readonly inFlight = new Map<string, Promise<TokenLookup<T>>>();

  constructor(private readonly opts: TokenCacheOptions) {
    this.validEntries = new LRUCache({ max: opts.maxValid });
    this.invalidEntries = new LRUCache({ max: opts.maxInvalid });
  }

  /** The cached verdict on `token`, or `validate()`'s (shared with concurrent lookups, then cached). */
  lookup(token: string, validate: () => Promise<TokenLookup<T>>): Promise<TokenLookup<T>> {
    const key = tokenHash(token);
    const now = this.opts.now();
    const hit = this.validEntries.get(key);
    if (hit && hit.until > now) return Promise.resolve({ valid: true, value: hit.value, expiresAt: hit.expiresAt });
    if (hit) this.validEntries.delete(key);
    const miss = this.invalidEntries.get(key);
    if (miss && miss.until > now) return Promise.resolve({ valid: false });
    if (miss) this.invalidEntries.delete(key);

    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const validation = validate()
      .then((result) => this.remember(key, result))
      .finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, validation);
    return validation;
  }

  /** Forgets every token (nothing is trusted after a close). */
  clear(): void {
    this.validEntries.clear();
    this.invalidEntries.clear();
  }

  get size(): { valid: number; invalid: number } {
    return { valid: this.validEntries.size, invalid: this.invalidEntries.size };
  }

  private remember(key: string, result: TokenLookup<T>): TokenLookup<T> {
    const now = this.opts.now();
    // A token that expires now is not valid, whatever Keystone said a moment ago (keystonemiddleware
    // refuses a token that will expire within 0 s).
    if (!result.valid || result.expiresAt <= now) {
      this.invalidEntries.set(key, { until: now + this.opts.invalidTtlMs });
      return { valid: false };
    }
    const until = Math.min(now + this.opts.validTtlMs, result.expiresAt);
    if (until > now) this.validEntries.set(key, { value: result.value, expiresAt: result.expiresAt, until });
    return result;
  }
}
