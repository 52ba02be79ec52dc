/**
 * Cinder's policy rules with Cinder's names and its current defaults (`cinder/policies/*.py`:
 * the Xena persona rules, `admin_api` for admin APIs), for the APIs this service has. Where this
 * differs from Cinder it says so: the service role (Nova) and the 3.72 migration_progress.
 */
export interface RuleDefault {
  name: string;
  check: string;
  description: string;
}

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
  { name: 'context_is_admin', check: 'role:admin', description: "Decides what is required for the 'is_admin:True' check to succeed." },
  {
    name: 'admin_or_owner',
    check: 'is_admin:True or (role:admin and is_admin_project:True) or project_id:%(project_id)s',
    description: 'Legacy rule (Cinder keeps it for old policy files): admins, or anyone in the owning project.',
  },
  { name: 'admin_api', check: 'is_admin:True or (role:admin and is_admin_project:True)', description: 'Default rule for most Admin APIs.' },
  {
    name: 'xena_system_admin_or_project_reader',
    check: '(role:admin) or (role:reader and project_id:%(project_id)s)',
    description: 'Admins, and the readers (so members too) of the owning project.',
  },
  {
    name: 'xena_system_admin_or_project_member',
    check: '(role:admin) or (role:member and project_id:%(project_id)s)',
    description: 'Admins, and the members of the owning project.',
  },
  { name: 'service_api', check: 'role:service', description: 'A service user (Nova) calling on behalf of a user of any project.' },
];

export const VOLUME_RULES: readonly RuleDefault[] = [
  { name: 'volume:create', check: PROJECT_MEMBER, description: 'Create volume.' },
  { name: 'volume:get', check: PROJECT_READER + OR_SERVICE, description: 'Show volume (a volume that fails it is "not found").' },
  { name: 'volume:get_all', check: PROJECT_READER + OR_SERVICE, description: 'List volumes or get summary of volumes.' },
  { name: 'volume:update', check: PROJECT_MEMBER, description: 'Update volume.' },
  { name: 'volume:delete', check: PROJECT_MEMBER, description: 'Delete volume.' },
  { name: 'volume_extension:volume_host_attribute', check: ADMIN_API, description: 'List or show volume with host attribute.' },
  { name: 'volume_extension:volume_tenant_attribute', check: PROJECT_READER, description: 'List or show volume with tenant attribute.' },
  {
    name: 'volume_extension:volume_mig_status_attribute',
    check: ADMIN_API + OR_SERVICE,
    description: 'List or show volume with migration status attributes (and migration_status).',
  },
  {
    name: 'volume_extension:volume_migration_progress',
    check: ADMIN_API,
    description: 'Show migration_progress (3.72) of a migrating volume (not in Cinder: the 2025.1 spec says admin-only).',
  },
];

export const VOLUME_ACTION_RULES: readonly RuleDefault[] = [
  { name: 'volume_extension:volume_admin_actions:reset_status', check: ADMIN_API, description: 'Reset status of a volume.' },
  { name: 'volume_extension:volume_admin_actions:force_delete', check: ADMIN_API, description: 'Force delete a volume.' },
  { name: 'volume_extension:volume_admin_actions:migrate_volume', check: ADMIN_API, description: 'Migrate a volume to a specified host.' },
  {
    name: 'volume_extension:volume_admin_actions:migrate_volume_completion',
    check: ADMIN_API + OR_SERVICE,
    description: 'Complete a volume migration (Nova, after a swap).',
  },
  { name: 'volume_extension:volume_actions:begin_detaching', check: PROJECT_MEMBER + OR_SERVICE, description: 'Begin detach volumes.' },
  { name: 'volume_extension:volume_actions:roll_detaching', check: PROJECT_MEMBER + OR_SERVICE, description: "Roll back volume status to 'in-use'." },
];

export const ATTACHMENT_RULES: readonly RuleDefault[] = [
  { name: 'volume:attachment_create', check: PROJECT_MEMBER + OR_SERVICE, description: 'Create attachment.' },
  { name: 'volume:attachment_update', check: PROJECT_MEMBER + OR_SERVICE, description: 'Update attachment.' },
  { name: 'volume:attachment_delete', check: PROJECT_MEMBER + OR_SERVICE, description: 'Delete attachment.' },
  { name: 'volume:attachment_complete', check: PROJECT_MEMBER + OR_SERVICE, description: 'Mark a volume attachment process as completed (in-use).' },
];

export const TYPE_RULES: readonly RuleDefault[] = [
  {
    name: 'volume_extension:types_manage',
    check: ADMIN_API,
    description: 'Manage volume types: the rule type_create and type_delete default to (Cinder\'s deprecated name for them).',
  },
  { name: 'volume_extension:type_create', check: 'rule:volume_extension:types_manage', description: 'Create volume type.' },
  { name: 'volume_extension:type_delete', check: 'rule:volume_extension:types_manage', description: 'Delete volume type.' },
  { name: 'volume_extension:type_get', check: PROJECT_READER, description: 'Get one specific volume type.' },
  { name: 'volume_extension:type_get_all', check: PROJECT_READER, description: 'List volume types.' },
  { name: 'volume_extension:access_types_extra_specs', check: PROJECT_READER, description: "Include the volume type's extra_specs attribute." },
  { name: 'volume_extension:access_types_qos_specs_id', check: ADMIN_API, description: "Include the volume type's QoS specifications ID attribute." },
  { name: 'volume_extension:types_extra_specs:index', check: PROJECT_READER, description: 'List type extra specs.' },
  { name: 'volume_extension:types_extra_specs:show', check: PROJECT_READER, description: 'Show one specified type extra specs.' },
  { name: 'volume_extension:types_extra_specs:create', check: ADMIN_API, description: 'Create type extra specs.' },
  { name: 'volume_extension:types_extra_specs:update', check: ADMIN_API, description: 'Update type extra specs.' },
  { name: 'volume_extension:types_extra_specs:delete', check: ADMIN_API, description: 'Delete type extra specs.' },
  {
    name: 'volume_extension:types_extra_specs:read_sensitive',
    check: ADMIN_API,
    description: 'Include extra_specs that may reveal the deployment (all but availability zones, multiattach, replication).',
  },
];

export const ADMIN_RULES: readonly RuleDefault[] = [
  { name: 'volume_extension:services:index', check: ADMIN_API, description: 'List all services.' },
  { name: 'scheduler_extension:scheduler_stats:get_pools', check: ADMIN_API, description: 'List all backend pools.' },
  { name: 'volume_extension:quotas:show', check: PROJECT_READER, description: 'Show project quota (including usage and default).' },
  { name: 'volume_extension:quotas:update', check: ADMIN_API, description: 'Update project quota.' },
  { name: 'volume_extension:quotas:delete', check: ADMIN_API, description: 'Delete project quota.' },
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
