export { KeystoneAuthenticator, INVALID_TOKEN_CACHE_MS } from './keystone.authenticator';
export type { KeystoneDeps } from './keystone.authenticator';
export { KEYSTONE_UNAVAILABLE } from './keystone.client';
export * from './keystone.config';
export { TokenCache, tokenHash } from './token-cache';
export type { TokenLookup, TokenCacheOptions } from './token-cache';
