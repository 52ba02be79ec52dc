/**
 * Cinder's policy rules with Cinder's names and its current defaults (`cinder/policies/*.py`:
 * the Xena persona rules, `admin_api` for admin APIs), for the APIs this service has. Where this
 * differs from Cinder it says so: the service role (Nova), the 3.72 migration_progress and the 3.73
 * volume-migrations resource.
 */
export interface RuleDefault {
  name: string;
  check: string;
  description: string;
}

/** One row of the tables below: Cinder's `policy.RuleDefault(name, check_str, description)`. */
export const ruleDefault = (name: string, check: string, description: string): RuleDefault => ({ name, check, description });

const ADMIN_API = 'rule:admin_api';
const PROJECT_READER = 'rule:xena_system_admin_or_project_reader';
const PROJECT_MEMBER = 'rule:xena_system_admin_or_project_member';
/**
 * Cinder gives Nova's calls no role of their own (Nova forwards the user's token); here the compute
 * side calls with Keystone's `service` role, outside the admin > member > reader hierarchy, so the
 * rules Nova needs (reading volumes and their migration states, the attachment flow, detaching,
 * completing a swap) also pass `rule:service_api`, as Nova's own `service_api` does for its callers.
 */
const OR_SERVICE = ' or rule:service_api';

export const BASE_RULES: readonly RuleDefault[] = [
  ruleDefault('context_is_admin', 'role:admin', "Decides what is required for the 'is_admin:True' check to succeed."),
  ruleDefault(
    'admin_or_owner',
    'is_admin:True or (role:admin and is_admin_project:True) or project_id:%(project_id)s',
    'Legacy rule (Cinder keeps it for old policy files): admins, or anyone in the owning project.',
  ),
  ruleDefault('admin_api', 'is_admin:True or (role:admin and is_admin_project:True)', 'Default rule for most Admin APIs.'),
  ruleDefault(
    'xena_system_admin_or_project_reader',
    '(role:admin) or (role:reader and project_id:%(project_id)s)',
    'Admins, and the readers (so members too) of the owning project.',
  ),
  ruleDefault(
    'xena_system_admin_or_project_member',
    '(role:admin) or (role:member and project_id:%(project_id)s)',
    'Admins, and the members of the owning project.',
  ),
  ruleDefault('service_api', 'role:service', 'A service user (Nova) calling on behalf of a user of any project.'),
];

export const VOLUME_RULES: readonly RuleDefault[] = [
  ruleDefault('volume:create', PROJECT_MEMBER, 'Create volume.'),
  ruleDefault('volume:get', PROJECT_READER + OR_SERVICE, 'Show volume (a volume that fails it is "not found").'),
  ruleDefault('volume:get_all', PROJECT_READER + OR_SERVICE, 'List volumes or get summary of volumes.'),
  ruleDefault('volume:update', PROJECT_MEMBER, 'Update volume.'),
  ruleDefault('volume:delete', PROJECT_MEMBER, 'Delete volume.'),
  ruleDefault('volume_extension:volume_host_attribute', ADMIN_API, 'List or show volume with host attribute.'),
  ruleDefault('volume_extension:volume_tenant_attribute', PROJECT_READER, 'List or show volume with tenant attribute.'),
  ruleDefault(
    'volume_extension:volume_mig_status_attribute',
    ADMIN_API + OR_SERVICE,
    'List or show volume with migration status attributes (and migration_status).',
  ),
  ruleDefault(
    'volume_extension:volume_migration_progress',
    ADMIN_API,
    'Show migration_progress (3.72) of a migrating volume (not in Cinder: the 2025.1 spec says admin-only).',
  ),
];

export const VOLUME_ACTION_RULES: readonly RuleDefault[] = [
  ruleDefault('volume_extension:volume_admin_actions:reset_status', ADMIN_API, 'Reset status of a volume.'),
  ruleDefault('volume_extension:volume_admin_actions:force_delete', ADMIN_API, 'Force delete a volume.'),
  ruleDefault('volume_extension:volume_admin_actions:migrate_volume', ADMIN_API, 'Migrate a volume to a specified host.'),
  ruleDefault('volume_extension:volume_admin_actions:migrate_volume_completion', ADMIN_API + OR_SERVICE, 'Complete a volume migration (Nova, after a swap).'),
  ruleDefault(
    'volume_extension:volume_admin_actions:migrate_volume_cancel',
    ADMIN_API,
    'Cancel a volume migration before its switch-over to the destination (3.73; not in Cinder).',
  ),
  ruleDefault(
    'volume_extension:volume_admin_actions:migrate_volume_set_bandwidth',
    ADMIN_API,
    "Change a running volume migration's copy bandwidth (3.73; not in Cinder).",
  ),
  ruleDefault('volume_extension:volume_actions:begin_detaching', PROJECT_MEMBER + OR_SERVICE, 'Begin detach volumes.'),
  ruleDefault('volume_extension:volume_actions:roll_detaching', PROJECT_MEMBER + OR_SERVICE, "Roll back volume status to 'in-use'."),
];

export const ATTACHMENT_RULES: readonly RuleDefault[] = [
  ruleDefault('volume:attachment_create', PROJECT_MEMBER + OR_SERVICE, 'Create attachment.'),
  ruleDefault('volume:attachment_update', PROJECT_MEMBER + OR_SERVICE, 'Update attachment.'),
  ruleDefault('volume:attachment_delete', PROJECT_MEMBER + OR_SERVICE, 'Delete attachment.'),
  ruleDefault('volume:attachment_complete', PROJECT_MEMBER + OR_SERVICE, 'Mark a volume attachment process as completed (in-use).'),
];

export const TYPE_RULES: readonly RuleDefault[] = [
  ruleDefault(
    'volume_extension:types_manage',
    ADMIN_API,
    'Manage volume types: the rule type_create and type_delete default to (Cinder\'s deprecated name for them).',
  ),
  ruleDefault('volume_extension:type_create', 'rule:volume_extension:types_manage', 'Create volume type.'),
  ruleDefault('volume_extension:type_delete', 'rule:volume_extension:types_manage', 'Delete volume type.'),
  ruleDefault('volume_extension:type_get', PROJECT_READER, 'Get one specific volume type.'),
  ruleDefault('volume_extension:type_get_all', PROJECT_READER, 'List volume types.'),
  ruleDefault('volume_extension:access_types_extra_specs', PROJECT_READER, "Include the volume type's extra_specs attribute."),
  ruleDefault('volume_extension:access_types_qos_specs_id', ADMIN_API, "Include the volume type's QoS specifications ID attribute."),
  ruleDefault('volume_extension:types_extra_specs:index', PROJECT_READER, 'List type extra specs.'),
  ruleDefault('volume_extension:types_extra_specs:show', PROJECT_READER, 'Show one specified type extra specs.'),
  ruleDefault('volume_extension:types_extra_specs:create', ADMIN_API, 'Create type extra specs.'),
  ruleDefault('volume_extension:types_extra_specs:update', ADMIN_API, 'Update type extra specs.'),
  ruleDefault('volume_extension:types_extra_specs:delete', ADMIN_API, 'Delete type extra specs.'),
  ruleDefault(
    'volume_extension:types_extra_specs:read_sensitive',
    ADMIN_API,
    'Include extra_specs that may reveal the deployment (all but availability zones, multiattach, replication).',
  ),
];

export const ADMIN_RULES: readonly RuleDefault[] = [
  ruleDefault('volume_extension:services:index', ADMIN_API, 'List all services.'),
  ruleDefault('scheduler_extension:scheduler_stats:get_pools', ADMIN_API, 'List all backend pools.'),
  ruleDefault('volume_extension:quotas:show', PROJECT_READER, 'Show project quota (including usage and default).'),
  ruleDefault('volume_extension:quotas:update', ADMIN_API, 'Update project quota.'),
  ruleDefault('volume_extension:quotas:delete', ADMIN_API, 'Delete project quota.'),
  ruleDefault('volume_extension:volume_migrations:index', ADMIN_API, 'List volume migrations, running and finished (3.73; not in Cinder).'),
  ruleDefault('volume_extension:volume_migrations:show', ADMIN_API, 'Show a volume migration, with its live figures while it runs (3.73; not in Cinder).'),
  ruleDefault(
    'volume_extension:volume_migrations:estimate',
    ADMIN_API,
    'Estimate how long a migration of a volume to a host would take, before it starts (3.73; not in Cinder).',
  ),
];

/** Every rule this service knows, in the order the policy command prints them. */
export const CINDER_POLICY_DEFAULTS: readonly RuleDefault[] = [
  ...BASE_RULES,
  ...VOLUME_RULES,
  ...VOLUME_ACTION_RULES,
  ...ATTACHMENT_RULES,
  ...TYPE_RULES,
  ...ADMIN_RULES,
];
