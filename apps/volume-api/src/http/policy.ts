import { Caller, PolicyEnforcer, policyFromConfig, PolicyTarget } from '@volume/auth';

/**
 * The one place volume-api asks its policy: every decision below is a rule of the enforcer, by
 * Cinder's name, so that POLICY_FILE changes it. The enforcer is the process's: bootstrap installs
 * the one loaded from POLICY_FILE (`usePolicy`); until then, and in unit tests, Cinder's defaults.
 */
let enforcer = PolicyEnforcer.create();

/** Installs the policy this process decides with; returns the one it replaces (tests restore it). */
export function usePolicy(next: PolicyEnforcer): PolicyEnforcer {
  const previous = enforcer;
  enforcer = next;
  return previous;
}

export function currentPolicy(): PolicyEnforcer {
  return enforcer;
}

/**
 * Loads the policy POLICY_FILE names and installs it; a file that cannot be used stops the start
 * (a ConfigError naming the file and line). Called once, where the app is built.
 */
export function installPolicy(config: { POLICY_FILE: string }): PolicyEnforcer {
  const loaded = policyFromConfig('volume-api', config);
  usePolicy(loaded);
  return loaded;
}

/** Cinder's rule for `context.is_admin`: all tenants, migration targets in lists, private types, provider_id... */
export const CONTEXT_IS_ADMIN = 'context_is_admin';

export const VolumePolicy = {
  create: 'volume:create',
  get: 'volume:get',
  getAll: 'volume:get_all',
  update: 'volume:update',
  delete: 'volume:delete',
  hostAttribute: 'volume_extension:volume_host_attribute',
  tenantAttribute: 'volume_extension:volume_tenant_attribute',
  migStatusAttribute: 'volume_extension:volume_mig_status_attribute',
  migrationProgress: 'volume_extension:volume_migration_progress',
} as const;

export const AttachmentPolicy = {
  create: 'volume:attachment_create',
  update: 'volume:attachment_update',
  delete: 'volume:attachment_delete',
  complete: 'volume:attachment_complete',
} as const;

export const TypePolicy = {
  getAll: 'volume_extension:type_get_all',
  get: 'volume_extension:type_get',
  extraSpecs: 'volume_extension:access_types_extra_specs',
  qosSpecsId: 'volume_extension:access_types_qos_specs_id',
  extraSpecsIndex: 'volume_extension:types_extra_specs:index',
  extraSpecsShow: 'volume_extension:types_extra_specs:show',
  extraSpecsUpdate: 'volume_extension:types_extra_specs:update',
  extraSpecsDelete: 'volume_extension:types_extra_specs:delete',
  readSensitive: 'volume_extension:types_extra_specs:read_sensitive',
} as const;

/** The rules of the admin APIs (Cinder's `rule:admin_api` by default). */
export const AdminPolicy = {
  createType: 'volume_extension:type_create',
  extraSpecs: 'volume_extension:types_extra_specs:create',
  typeDelete: 'volume_extension:type_delete',
  getPools: 'scheduler_extension:scheduler_stats:get_pools',
  listServices: 'volume_extension:services:index',
  migrateVolume: 'volume_extension:volume_admin_actions:migrate_volume',
  resetStatus: 'volume_extension:volume_admin_actions:reset_status',
  forceDelete: 'volume_extension:volume_admin_actions:force_delete',
} as const;

/** Rules the service user (Nova) passes by default, besides admins. */
export const ServicePolicy = {
  migrateVolumeCompletion: 'volume_extension:volume_admin_actions:migrate_volume_completion',
} as const;

/** Rules the volume's own project members (and the service user) pass by default. */
export const OwnerPolicy = {
  beginDetaching: 'volume_extension:volume_actions:begin_detaching',
  rollDetaching: 'volume_extension:volume_actions:roll_detaching',
} as const;

export type { PolicyTarget };

/** A volume (or its attachment) as the target of a rule, as Cinder passes `target_obj=volume`. */
export function volumeTarget(v: { projectId: string; userId?: string | null }): PolicyTarget {
  return { project_id: v.projectId, user_id: v.userId ?? null };
}

/**
 * Whether `rule` passes for the caller against `target`; without a target, against the caller's
 * own project (Cinder's default target: view extensions and list APIs).
 */
export function allows(caller: Caller | undefined, rule: string, target?: PolicyTarget): boolean {
  return caller !== undefined && enforcer.allows(rule, caller, target);
}

/** `allows`, or Cinder's 403 "Policy doesn't allow <rule> to be performed." */
export function authorize(caller: Caller, rule: string, target?: PolicyTarget): void {
  enforcer.authorize(rule, caller, target);
}

/** Cinder's `context.is_admin`, from the `context_is_admin` rule (not from what the caller claims). */
export function isContextAdmin(caller: Caller | undefined): boolean {
  return caller !== undefined && enforcer.isAdmin(caller);
}

/**
 * The caller with `isAdmin` decided by the policy (`context_is_admin`), as Cinder's context sets
 * `is_admin`: where a request's caller is built, `req.ctx.caller = withContextIsAdmin(caller)`.
 */
export function withContextIsAdmin(caller: Caller): Caller {
  return { ...caller, isAdmin: isContextAdmin(caller) };
}

/** Checks an admin API's rule; the name stays for its callers, the rule alone decides. */
export function requireAdmin(caller: Caller, rule: string): void {
  authorize(caller, rule);
}

/** Checks a rule admins and the service user pass by default; the rule alone decides. */
export function requireAdminOrService(caller: Caller, rule: string): void {
  authorize(caller, rule);
}

/** Checks a rule against a resource of `projectId` (owner, admin or service by default). */
export function requireOwnerAdminOrService(caller: Caller, projectId: string, rule: string): void {
  authorize(caller, rule, { project_id: projectId });
}

/**
 * Whether the caller may see a resource of `projectId` at all (`volume:get` by default, which
 * lets admins and the service user see every project): what it may not see is "not found".
 */
export function canSeeProject(caller: Caller, projectId: string, rule: string = VolumePolicy.get): boolean {
  return allows(caller, rule, { project_id: projectId });
}

/** Migration states (migration_status, os-vol-mig-status-attr:*): admins and the service user by default. */
export function seesMigrationStatus(caller: Caller | undefined): boolean {
  return allows(caller, VolumePolicy.migStatusAttribute);
}
