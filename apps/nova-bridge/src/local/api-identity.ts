import type { Authenticator, Caller, ServiceTokenSource } from '@volume/auth';

type Headers = Record<string, string | string[] | undefined>;

/**
 * What one call to volume-api carries to say who acts: the project of its URL (absent: the routes
 * without a project id) and the token headers.
 */
export interface ApiCredentials {
  project?: string;
  headers: Record<string, string>;
}

/**
 * Whom a call to volume-api acts for. Asked before every call, so that a service token can be
 * renewed; the headers hold tokens and never reach a log line.
 */
export interface ApiIdentity {
  credentials(): Promise<ApiCredentials>;
  /**
   * volume-api answered 401 to `creds`: forget a token that can be issued again (revoked, keys
   * rotated) and say whether asking once more may help, as keystoneauth re-authenticates once.
   */
  refused?(creds: ApiCredentials): boolean;
}

/** A compute API caller as volume-api sees it. */
export interface CallerIdentity extends ApiIdentity {
  /**
   * The caller's token plus the bridge's own as X-Service-Token (keystone), as Nova sends both
   * (`[service_user] send_service_user_token`) once it has decided the caller may act: for the
   * attachment calls after the volume was found with the caller's token alone. volume-api gives
   * such a request the service role, which sees every project, so it never decides what the caller
   * may see. noauth has no service token: the caller alone.
   */
  readonly withServiceToken: ApiIdentity;
}

/**
 * The bridge's own identity, for what only a service may do (a swap Cinder asked for: begin and
 * roll detaching, the new attachment, the migration completion) on a volume of the server's project.
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
 * that the caller attaches only what it may see. noauth has no token to check, so the caller's
 * roles go along as its token's roles; Keystone reads them from the token itself. `serviceTokens`
 * (keystone) are the bridge's own, sent as X-Service-Token by `withServiceToken`.
 */
export function callerIdentity(
  strategy: Authenticator['strategy'],
  headers: Headers,
  caller: Caller,
  serviceTokens?: ServiceTokenSource,
): CallerIdentity {
  const own: ApiCredentials = { project: caller.projectId, headers: { 'x-auth-token': header(headers, 'x-auth-token') ?? '' } };
  if (strategy === 'noauth' && caller.roles.length) own.headers['x-roles'] = caller.roles.join(',');
  const withServiceToken: ApiIdentity =
    strategy === 'keystone' && serviceTokens
      ? {
          credentials: async () => ({ ...own, headers: { ...own.headers, 'x-service-token': await serviceTokens.get() } }),
          // The caller's token may be what was refused; a fresh service token costs one more try.
          refused: (creds) => {
            serviceTokens.discard(creds.headers['x-service-token']);
            return true;
          },
        }
      : { credentials: async () => own };
  return { credentials: async () => own, withServiceToken };
}

/** noauth: the service user (`VOLUME_API_USER`, `nova` by default) with the `service` role, in the server's project. */
export function noauthServiceIdentity(user: string): ServiceIdentity {
  return {
    forProject: (project) => ({
      credentials: async () => ({ project, headers: { 'x-auth-token': `${user}:${project}`, 'x-roles': 'service' } }),
    }),
  };
}

/**
 * keystone: the bridge's own token (KEYSTONE_USERNAME, who needs the `service` role), whatever the
 * server's project. The URL names the token's own project, as Cinder insists a URL's project is the
 * token's ("Malformed request url"); the service role lets it act on every project's volumes.
 */
export function keystoneServiceIdentity(tokens: ServiceTokenSource): ServiceIdentity {
  const identity: ApiIdentity = {
    credentials: async () => {
      const issued = await tokens.issued();
      return { project: issued.projectId, headers: { 'x-auth-token': issued.token } };
    },
    refused: (creds) => {
      tokens.discard(creds.headers['x-auth-token']);
      return true;
    },
  };
  return { forProject: () => identity };
}
