import { CINDER_POLICY_DEFAULTS } from './cinder-policy-defaults';
import { noauthRoles, withImpliedRoles } from './credentials';
import { PolicyEnforcer } from './policy-enforcer';
import { itMatchesTheRuleTable, MEMBERS, Persona, PERSONAS, READERS, TARGET } from './policy-defaults.harness';

// Cinder's defaults, rule by rule: which persona passes against a resource of project P. Every
// rule the service knows has a row, so a new rule cannot land without saying who it lets in.

const ADMIN: Persona[] = ['admin'];
const ADMIN_SERVICE: Persona[] = ['admin', 'service'];
const MEMBERS_SERVICE: Persona[] = ['admin', 'member', 'service'];
const READERS_SERVICE: Persona[] = ['admin', 'member', 'reader', 'service'];

const EXPECTED: Record<string, Persona[]> = {
  context_is_admin: ADMIN,
  admin_or_owner: MEMBERS.concat('reader'),
  admin_api: ADMIN,
  xena_system_admin_or_project_reader: READERS,
  xena_system_admin_or_project_member: MEMBERS,
  service_api: ['service'],
  'volume:create': MEMBERS,
  'volume:get': READERS_SERVICE,
  'volume:get_all': READERS_SERVICE,
  'volume:update': MEMBERS,
  'volume:delete': MEMBERS,
  'volume_extension:volume_host_attribute': ADMIN,
  'volume_extension:volume_tenant_attribute': READERS,
  'volume_extension:volume_mig_status_attribute': ADMIN_SERVICE,
  'volume_extension:volume_migration_progress': ADMIN,
  'volume_extension:volume_admin_actions:reset_status': ADMIN,
  'volume_extension:volume_admin_actions:force_delete': ADMIN,
  'volume_extension:volume_admin_actions:migrate_volume': ADMIN,
  'volume_extension:volume_admin_actions:migrate_volume_completion': ADMIN_SERVICE,
  'volume_extension:volume_admin_actions:migrate_volume_cancel': ADMIN,
  'volume_extension:volume_admin_actions:migrate_volume_set_bandwidth': ADMIN,
  'volume_extension:volume_actions:begin_detaching': MEMBERS_SERVICE,
  'volume_extension:volume_actions:roll_detaching': MEMBERS_SERVICE,
  'volume:attachment_create': MEMBERS_SERVICE,
  'volume:attachment_update': MEMBERS_SERVICE,
  'volume:attachment_delete': MEMBERS_SERVICE,
  'volume:attachment_complete': MEMBERS_SERVICE,
  'volume_extension:types_manage': ADMIN,
  'volume_extension:type_create': ADMIN,
  'volume_extension:type_delete': ADMIN,
  'volume_extension:type_get': READERS,
  'volume_extension:type_get_all': READERS,
  'volume_extension:access_types_extra_specs': READERS,
  'volume_extension:access_types_qos_specs_id': ADMIN,
  'volume_extension:types_extra_specs:index': READERS,
  'volume_extension:types_extra_specs:show': READERS,
  'volume_extension:types_extra_specs:create': ADMIN,
  'volume_extension:types_extra_specs:update': ADMIN,
  'volume_extension:types_extra_specs:delete': ADMIN,
  'volume_extension:types_extra_specs:read_sensitive': ADMIN,
  'volume_extension:services:index': ADMIN,
  'scheduler_extension:scheduler_stats:get_pools': ADMIN,
  'volume_extension:quotas:show': READERS,
  'volume_extension:quotas:update': ADMIN,
  'volume_extension:quotas:delete': ADMIN,
  'volume_extension:volume_migrations:index': ADMIN,
  'volume_extension:volume_migrations:show': ADMIN,
  'volume_extension:volume_migrations:estimate': ADMIN,
};

const policy = PolicyEnforcer.create();

describe("Cinder's default policy: who passes each rule against project P's resource", () => {
  itMatchesTheRuleTable('default', CINDER_POLICY_DEFAULTS, EXPECTED);

  it('when no target is given, then the caller is checked against its own project, as Cinder defaults it', () => {
    expect(policy.allows('volume_extension:volume_tenant_attribute', PERSONAS.otherMember)).toBe(true);
    expect(policy.allows('volume_extension:volume_tenant_attribute', PERSONAS.otherMember, TARGET)).toBe(false);
  });

  it("when Keystone names an admin project and the admin's token is not for it, then admin_api still passes through is_admin", () => {
    expect(policy.allows('admin_api', { ...PERSONAS.admin, isAdminProject: false })).toBe(true);
  });
});

describe('implied roles', () => {
  it("when a Keystone token carries admin, then it also carries Keystone's implied member and reader", () => {
    expect(withImpliedRoles(['admin'])).toEqual(['admin', 'member', 'reader']);
    expect(withImpliedRoles(['reader', 'member', 'custom'])).toEqual(['reader', 'member', 'custom']);
    expect(withImpliedRoles(['service'])).toEqual(['service']);
    // Names of Object.prototype are roles like any other (a client sends what it likes).
    expect(withImpliedRoles(['constructor', '__proto__', 'toString'])).toEqual(['constructor', '__proto__', 'toString']);
  });

  it.each<[string, string[], string[]]>([
    ['demo', [], ['member', 'reader']],
    ['demo', ['reader'], ['reader']],
    ['demo', ['admin'], ['admin', 'member', 'reader']],
    ['demo', ['service'], ['service']],
    ['demo', ['member', 'migration_observer'], ['member', 'reader', 'migration_observer']],
    ['admin', [], ['member', 'reader', 'admin']],
    ['nova', [], ['member', 'reader', 'service']],
    ['nova', ['service'], ['service']],
  ])('when noauth user %s sends X-Roles %j, then its roles are %j', (user, header, roles) => {
    expect(noauthRoles(user, header)).toEqual(roles);
  });
});
