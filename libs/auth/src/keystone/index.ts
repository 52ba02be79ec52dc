export { KeystoneAuthenticator, INVALID_TOKEN_CACHE_MS } from './keystone.authenticator';
export type { KeystoneDeps } from './keystone.authenticator';
export { KEYSTONE_UNAVAILABLE } from './keystone.client';
export type { Fetch, IssuedToken } from './keystone.client';
export { ServiceTokenSource, serviceTokenSource } from './service-token';
export * from './keystone.config';
export { TokenCache, tokenHash } from './token-cache';
export type { TokenLookup, TokenCacheOptions } from './token-cache';
