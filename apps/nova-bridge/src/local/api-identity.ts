import type { Authenticator, Caller } from '@volume/auth';

type Headers = Record<string, string | string[] | undefined>;

/** What one call to volume-api carries to say who acts: the project of its URL and the token headers. */
export interface ApiCredentials {
  project: string;
  headers: Record<string, string>;
}

/**
 * Whom a call to volume-api acts for. Asked before every call, so that a service token can be
 * renewed; the headers hold a token and never reach a log line.
 */
export interface ApiIdentity {
  credentials(): Promise<ApiCredentials>;
}

/**
 * The bridge's own identity, for what only a service may do (a swap Cinder asked for: begin and
 * roll detaching, the new attachment, the migration completion), in the project of the server
 * whose volume it swaps.
 */
export interface ServiceIdentity {
  forProject(project: string): ApiIdentity;
}

function header(headers: Headers, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * The caller's own token, passed on to volume-api as Nova passes the user's token to Cinder, so
 * that the caller attaches only what it may see. Without a service token: a service's identity
 * would let the call see every project. noauth has no token to check, so the caller's roles go
 * along as its token's roles; Keystone reads them from the token itself.
 */
export function callerIdentity(strategy: Authenticator['strategy'], headers: Headers, caller: Caller): ApiIdentity {
  const creds: ApiCredentials = { project: caller.projectId, headers: { 'x-auth-token': header(headers, 'x-auth-token') ?? '' } };
  if (strategy === 'noauth' && caller.roles.length) creds.headers['x-roles'] = caller.roles.join(',');
  return { credentials: async () => creds };
}

/** noauth: the service user (`VOLUME_API_USER`, `nova` by default) with the `service` role, in the server's project. */
export function noauthServiceIdentity(user: string): ServiceIdentity {
  return {
    forProject: (project) => ({
      credentials: async () => ({ project, headers: { 'x-auth-token': `${user}:${project}`, 'x-roles': 'service' } }),
    }),
  };
}
