import { PolicyCredentials } from './check-evaluator';

/** Who a policy decides about: the caller's identity as Cinder's request context carries it. */
export interface PolicySubject {
  userId: string;
  projectId: string;
  roles: readonly string[];
  /** The domain of a domain-scoped token. */
  domainId?: string | null;
  userDomainId?: string | null;
  projectDomainId?: string | null;
  /** Keystone's `is_admin_project`; true when Keystone names no admin project (keystonemiddleware's default). */
  isAdminProject?: boolean;
}

/**
 * `RequestContext.to_policy_values()` of Cinder: the credentials every check reads. `is_admin` is
 * the context's flag, which Cinder sets from the `context_is_admin` rule.
 */
export function policyCredentials(subject: PolicySubject, isAdmin: boolean): PolicyCredentials {
  return {
    user_id: subject.userId,
    project_id: subject.projectId,
    roles: [...subject.roles],
    is_admin: isAdmin,
    is_admin_project: subject.isAdminProject ?? true,
    domain_id: subject.domainId ?? null,
    user_domain_id: subject.userDomainId ?? null,
    project_domain_id: subject.projectDomainId ?? null,
  };
}

/** Keystone's default role inference rules (`keystone-manage bootstrap`): admin ⇒ member ⇒ reader. */
const IMPLIED_ROLES: ReadonlyMap<string, readonly string[]> = new Map([
  ['admin', ['member']],
  ['member', ['reader']],
]);

/** The roles with every role they imply, as a Keystone token lists them; order kept, no duplicates. */
export function withImpliedRoles(roles: readonly string[]): string[] {
  const out: string[] = [];
  const add = (role: string): void => {
    if (out.includes(role)) return;
    out.push(role);
    for (const implied of IMPLIED_ROLES.get(role) ?? []) add(implied);
  };
  roles.forEach(add);
  return out;
}

/**
 * The roles of a noauth caller, as a Keystone token would list them, so that Cinder's defaults
 * (written for Keystone's roles) read a noauth caller the same way: no `X-Roles` is a plain project
 * member; the user `admin` is an admin and the user `nova` the service user, as noauth had it.
 */
export function noauthRoles(userId: string, headerRoles: readonly string[]): string[] {
  const roles = headerRoles.length === 0 ? ['member'] : [...headerRoles];
  if (userId === 'admin') roles.push('admin');
  if (userId === 'nova') roles.push('service');
  return withImpliedRoles(roles);
}
