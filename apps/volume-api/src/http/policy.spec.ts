import { Caller, parsePolicyText, PolicyEnforcer, withImpliedRoles } from '@volume/auth';
import { CodedError } from '@volume/contracts';
import {
  AdminPolicy,
  AttachmentPolicy,
  canSeeProject,
  CONTEXT_IS_ADMIN,
  currentPolicy,
  OwnerPolicy,
  requireAdmin,
  requireAdminOrService,
  requireOwnerAdminOrService,
  seesMigrationStatus,
  ServicePolicy,
  TypePolicy,
  usePolicy,
  VolumePolicy,
  withContextIsAdmin,
} from './policy';

const caller = (userId: string, projectId: string, roles: string[]): Caller => ({
  userId,
  projectId,
  roles: withImpliedRoles(roles),
  isAdmin: false,
  isService: false,
});
const admin = caller('admin', 'p-admin', ['admin']);
const member = caller('demo', 'p1', ['member']);
const service = caller('nova', 'p-service', ['service']);

function refused(check: () => void): string {
  try {
    check();
  } catch (err) {
    expect(err).toBeInstanceOf(CodedError);
    return (err as Error).message;
  }
  return 'allowed';
}

describe("volume-api's policy functions", () => {
  it('every rule name the API asks about is one the policy defines', () => {
    const names = [AdminPolicy, AttachmentPolicy, OwnerPolicy, ServicePolicy, TypePolicy, VolumePolicy].flatMap((group) => Object.values(group));
    expect(names.filter((name) => !currentPolicy().has(name))).toEqual([]);
    expect(currentPolicy().has(CONTEXT_IS_ADMIN)).toBe(true);
  });

  it('with the defaults, each function keeps the meaning its name says', () => {
    expect(refused(() => requireAdmin(member, AdminPolicy.migrateVolume))).toBe("Policy doesn't allow volume_extension:volume_admin_actions:migrate_volume to be performed.");
    expect(refused(() => requireAdmin(admin, AdminPolicy.migrateVolume))).toBe('allowed');
    expect(refused(() => requireAdminOrService(service, ServicePolicy.migrateVolumeCompletion))).toBe('allowed');
    expect(refused(() => requireAdminOrService(member, ServicePolicy.migrateVolumeCompletion))).not.toBe('allowed');
    expect(refused(() => requireOwnerAdminOrService(member, 'p1', OwnerPolicy.beginDetaching))).toBe('allowed');
    expect(refused(() => requireOwnerAdminOrService(member, 'p2', OwnerPolicy.beginDetaching))).not.toBe('allowed');
    expect([canSeeProject(member, 'p1'), canSeeProject(member, 'p2'), canSeeProject(admin, 'p2'), canSeeProject(service, 'p2')]).toEqual([true, false, true, true]);
    expect([seesMigrationStatus(member), seesMigrationStatus(service), seesMigrationStatus(admin), seesMigrationStatus(undefined)]).toEqual([false, true, true, false]);
  });

  describe('with another policy installed', () => {
    const text = [
      'context_is_admin: role:cloud_admin',
      '"volume_extension:volume_admin_actions:migrate_volume": "role:migrator"',
      '"volume_extension:volume_mig_status_attribute": "rule:admin_api"',
      '"volume:get": "rule:admin_api or (role:reader and project_id:%(project_id)s)"',
    ].join('\n');
    let previous: PolicyEnforcer;
    beforeEach(() => (previous = usePolicy(PolicyEnforcer.create(parsePolicyText('test', text)))));
    afterEach(() => usePolicy(previous));

    it('then the same functions follow it', () => {
      expect(refused(() => requireAdmin(admin, AdminPolicy.migrateVolume))).not.toBe('allowed');
      expect(refused(() => requireAdmin(caller('m', 'p9', ['migrator']), AdminPolicy.migrateVolume))).toBe('allowed');
      expect([seesMigrationStatus(service), canSeeProject(service, 'p2')]).toEqual([false, false]);
    });

    it('then isAdmin, decided where the caller is built, is context_is_admin of that policy', () => {
      expect(withContextIsAdmin({ ...admin, isAdmin: true }).isAdmin).toBe(false);
      expect(withContextIsAdmin(caller('root', 'p0', ['cloud_admin'])).isAdmin).toBe(true);
    });
  });
});
