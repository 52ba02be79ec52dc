import { CodedError, ErrorCode } from '@volume/contracts';
import { noauthRoles } from './policy/credentials';

export interface Caller {
  userId: string;
  projectId: string;
  roles: string[];
  isAdmin: boolean;
  /**
   * A service user (Nova acting for a server of any project, with Keystone's `service` role):
   * completes migrations and sees migration states like an admin, nothing else of the admin's.
   */
  isService: boolean;
  /** When the caller's Keystone token expires (ISO 8601); absent under noauth. */
  expiresAt?: string;
  /** Keystone's `is_admin_project` (true when Keystone names no admin project); absent under noauth. */
  isAdminProject?: boolean;
  /** The Keystone domains of the user and of the token's project; absent under noauth. */
  userDomainId?: string;
  projectDomainId?: string;
}

type Headers = Record<string, string | string[] | undefined>;

function header(headers: Headers, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function rolesOf(headers: Headers): string[] {
  return (header(headers, 'x-roles') ?? '')
    .split(',')
    .map((r) => r.trim().toLowerCase())
    .filter(Boolean);
}

/** Cinder's text for a request without valid credentials (webob's 401 explanation). */
export const UNAUTHORIZED =
  'This server could not verify that you are authorized to access the document you requested. Either you supplied the wrong credentials (e.g., bad password), or your browser does not understand how to supply the credentials required.';

/**
 * noauth, as Cinder's NoAuthMiddleware reads the token (`user:project`, project defaults to user),
 * except that only the user `admin` or an `admin` role is admin (Nova's noauth2 convention), so
 * that member views can be seen without Keystone. Cinder's noauth makes every caller admin.
 * Likewise the user `nova` or a `service` role is the service user nova-bridge calls as.
 */
function noauthCaller(headers: Headers): Caller {
  const token = header(headers, 'x-auth-token');
  if (!token) throw new CodedError(ErrorCode.Unauthorized, UNAUTHORIZED);
  const idx = token.indexOf(':');
  const userId = idx < 0 ? token : token.slice(0, idx);
  const projectId = (idx < 0 ? '' : token.slice(idx + 1)) || userId;
  const roles = noauthRoles(userId, rolesOf(headers));
  return {
    userId,
    projectId,
    roles,
    isAdmin: userId === 'admin' || roles.includes('admin'),
    isService: userId === 'nova' || roles.includes('service'),
  };
}

/** The width of every user and project id column, as in Cinder's schema; Keystone's ids are 64 at most. */
export const MAX_ID_LENGTH = 255;

/**
 * The noauth caller of a request. There is no header-trusting strategy: identity headers a client
 * sets (`X-User-Id`, `X-Project-Id`, ...) name nobody; with Keystone the token alone does
 * (`keystone/keystone.authenticator.ts`).
 */
export function callerFor(strategy: 'noauth', headers: Headers): Caller {
  const caller = noauthCaller(headers);
  // No real credential names such an id, and none of its rows could be stored.
  if (caller.userId.length > MAX_ID_LENGTH || caller.projectId.length > MAX_ID_LENGTH) {
    throw new CodedError(ErrorCode.Unauthorized, UNAUTHORIZED);
  }
  return caller;
}
