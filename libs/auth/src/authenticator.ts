import { Caller, callerFor } from './auth';

type Headers = Record<string, string | string[] | undefined>;

/**
 * Decides who a request's caller is, from its headers alone (a token), never from identity headers
 * a client sets. Every port that acts for a caller (volume-api, nova-bridge's compute API) uses one.
 * Refusals are `CodedError`s: `Unauthorized` (401) for a missing or invalid token,
 * `Unavailable` (503) when the identity service cannot be asked.
 */
export interface Authenticator {
  readonly strategy: 'noauth' | 'keystone';
  authenticate(headers: Headers): Promise<Caller>;
  /** Stops background work (service token renewal); idempotent. */
  close(): Promise<void>;
}

/** The noauth strategy (`createAuthenticator` chooses it or Keystone's). */
export function noauthAuthenticator(): Authenticator {
  return {
    strategy: 'noauth',
    authenticate: async (headers) => callerFor('noauth', headers),
    close: async () => undefined,
  };
}
