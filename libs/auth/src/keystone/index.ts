export { KeystoneAuthenticator, INVALID_TOKEN_CACHE_MS } from './keystone.authenticator';
export type { KeystoneDeps } from './keystone.authenticator';
export { catalogEndpoint, KEYSTONE_UNAVAILABLE, KeystoneClient, KeystoneUnavailable } from './keystone.client';
export type { CatalogEndpoint, CatalogEntry, Fetch, IssuedToken, IssueOptions, PasswordCredentials } from './keystone.client';
export { ServiceTokenSource, serviceTokenSource } from './service-token';
export * from './keystone.config';
export { TokenCache, tokenHash } from './token-cache';
export type { TokenLookup, TokenCacheOptions } from './token-cache';
