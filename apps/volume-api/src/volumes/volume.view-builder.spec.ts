import { Caller, parsePolicyText, PolicyEnforcer, withImpliedRoles } from '@volume/auth';
import { ApiVersion, getPriorVersion, MIGRATION_PROGRESS, VOLUME_MIGRATIONS } from '@volume/microversion';
import { VolumeEntity } from '@volume/persistence';
import { usePolicy } from '../http/policy';
import { RequestContext } from '../http/request-context';
import { showsMigrationProgress, volumeDetail, volumeSummary } from './volume.view-builder';

/** The personas, with the roles a Keystone token gives them; the volume is project p1's. */
const CALLERS = {
  admin: { userId: 'admin', projectId: 'p-admin', roles: ['admin'] },
  member: { userId: 'demo', projectId: 'p1', roles: ['member'] },
  reader: { userId: 'auditor', projectId: 'p1', roles: ['reader'] },
  service: { userId: 'nova', projectId: 'p-service', roles: ['service'] },
  observer: { userId: 'watcher', projectId: 'p1', roles: ['member', 'migration_observer'] },
};
type Role = keyof typeof CALLERS;

function callerOf(role: Role): Caller {
  const c = CALLERS[role];
  return { ...c, roles: withImpliedRoles(c.roles), isAdmin: role === 'admin', isService: role === 'service' };
}

function ctx(version: string, role: Role): RequestContext {
  return { requestId: 'req-1', version: ApiVersion.parse(version), baseUrl: 'http://api:8776', urlProjectId: 'p1', caller: callerOf(role) };
}

function volume(migrationStatus: string | null): VolumeEntity {
  return Object.assign(new VolumeEntity(), {
    id: '0077a3ce-fc9d-424e-beed-79ce31f65fad',
    projectId: 'p1',
    userId: 'u1',
    displayName: 'v',
    displayDescription: null,
    size: 1,
    status: 'available',
    previousStatus: null,
    attachStatus: 'detached',
    migrationStatus,
    migrationProgress: '17',
    nameId: null,
    host: 'host-a@file#pool1',
    clusterName: null,
    availabilityZone: 'nova',
    volumeTypeId: '45f5d7a7-e58b-4fcc-992b-b1e53f8b8d7d',
    volumeType: { id: '45f5d7a7-e58b-4fcc-992b-b1e53f8b8d7d', name: '__DEFAULT__' },
    providerId: null,
    providerLocation: null,
    bootable: false,
    multiattach: false,
    replicationStatus: null,
    consistencygroupId: null,
    groupId: null,
    snapshotId: null,
    sourceVolid: null,
    encryptionKeyId: null,
    serviceUuid: null,
    sharedTargets: false,
    useQuota: true,
    createdAt: new Date('2026-11-25T02:37:12.157Z'),
    updatedAt: null,
    metadata: [],
    attachments: [],
  });
}

const PRIOR = getPriorVersion(MIGRATION_PROGRESS);

describe('migration_progress in the volume view: version x role x migration_status', () => {
  const matrix: [string, Role, string | null, boolean][] = [
    [MIGRATION_PROGRESS, 'admin', 'migrating', true],
    [PRIOR, 'admin', 'migrating', false],
    ['3.0', 'admin', 'migrating', false],
    [MIGRATION_PROGRESS, 'member', 'migrating', false],
    [MIGRATION_PROGRESS, 'reader', 'migrating', false],
    [MIGRATION_PROGRESS, 'service', 'migrating', false],
    [MIGRATION_PROGRESS, 'admin', 'starting', false],
    [MIGRATION_PROGRESS, 'admin', 'completing', false],
    [MIGRATION_PROGRESS, 'admin', 'success', false],
    [MIGRATION_PROGRESS, 'admin', 'error', false],
    [MIGRATION_PROGRESS, 'admin', null, false],
  ];

  it.each(matrix)('at %s, a %s, migration_status=%s: shows the field = %s', (version, role, status, shown) => {
    const c = ctx(version, role);
    const v = volume(status);
    expect(showsMigrationProgress(c, v)).toBe(shown);
    const view = volumeDetail(c, v, { withExtensions: true, migrationProgress: '42' });
    expect('migration_progress' in view).toBe(shown);
    if (shown) expect(view.migration_progress).toBe('42');
  });

  it('when the progress source answered nothing, then the field is absent even for an admin at 3.72 while migrating', () => {
    for (const empty of [null, undefined, '']) {
      const view = volumeDetail(ctx(MIGRATION_PROGRESS, 'admin'), volume('migrating'), { withExtensions: true, migrationProgress: empty });
      expect(view).not.toHaveProperty('migration_progress');
    }
  });

  it('when the volume is driver-assisted, then the field carries the string driver-assisted', () => {
    const view = volumeDetail(ctx(MIGRATION_PROGRESS, 'admin'), volume('migrating'), { withExtensions: true, migrationProgress: 'driver-assisted' });
    expect(view.migration_progress).toBe('driver-assisted');
  });

  it('when a volume is listed (summary), then the field never appears', () => {
    expect(volumeSummary(ctx(MIGRATION_PROGRESS, 'admin'), volume('migrating'))).not.toHaveProperty('migration_progress');
  });
});

describe('migration_progress in the detail list (3.73): version x role, from the persisted value', () => {
  const matrix: [string, Role, string | null, boolean][] = [
    [VOLUME_MIGRATIONS, 'admin', 'migrating', true],
    [MIGRATION_PROGRESS, 'admin', 'migrating', false],
    ['3.0', 'admin', 'migrating', false],
    [VOLUME_MIGRATIONS, 'member', 'migrating', false],
    [VOLUME_MIGRATIONS, 'reader', 'migrating', false],
    [VOLUME_MIGRATIONS, 'service', 'migrating', false],
    [VOLUME_MIGRATIONS, 'admin', 'success', false],
    [VOLUME_MIGRATIONS, 'admin', null, false],
  ];

  it.each(matrix)('when listed at %s by a %s, migration_status=%s, then the persisted percent is shown = %s', (version, role, status, shown) => {
    // The detail list passes no live answer: only show asks the progress source.
    const view = volumeDetail(ctx(version, role), volume(status), { withExtensions: true });
    expect(view.migration_progress).toBe(shown ? '17' : undefined);
  });

  it('when show got no live answer at 3.73, then it shows nothing rather than the persisted value (its own fallback decides)', () => {
    expect(volumeDetail(ctx(VOLUME_MIGRATIONS, 'admin'), volume('migrating'), { withExtensions: true, migrationProgress: null })).not.toHaveProperty('migration_progress');
  });

  it('when a create or update answers at 3.73, then no migration_progress (no extensions there)', () => {
    expect(volumeDetail(ctx(VOLUME_MIGRATIONS, 'admin'), volume('migrating'), { withExtensions: false })).not.toHaveProperty('migration_progress');
  });
});

describe('admin-only keys of the volume view', () => {
  it.each<Role>(['member', 'reader'])('when a %s reads at the max version, then no admin-only key is present, and the tenant is', (role) => {
    const view = volumeDetail(ctx(MIGRATION_PROGRESS, role), volume('migrating'), { withExtensions: true, migrationProgress: '42' });
    for (const key of ['migration_status', 'os-vol-host-attr:host', 'os-vol-mig-status-attr:migstat', 'os-vol-mig-status-attr:name_id', 'provider_id', 'cluster_name', 'migration_progress']) {
      expect(view).not.toHaveProperty(key);
    }
    expect(view['os-vol-tenant-attr:tenant_id']).toBe('p1');
  });

  it('when an admin reads at 3.0, then the later keys are absent and the admin keys present', () => {
    const view = volumeDetail(ctx('3.0', 'admin'), volume(null), { withExtensions: true });
    for (const key of ['group_id', 'provider_id', 'shared_targets', 'service_uuid', 'cluster_name', 'volume_type_id', 'consumes_quota']) {
      expect(view).not.toHaveProperty(key);
    }
    expect(view).toMatchObject({ migration_status: null, 'os-vol-host-attr:host': 'host-a@file#pool1' });
    expect(view.links).toEqual([
      { rel: 'self', href: 'http://api:8776/v3/p1/volumes/0077a3ce-fc9d-424e-beed-79ce31f65fad' },
      { rel: 'bookmark', href: 'http://api:8776/p1/volumes/0077a3ce-fc9d-424e-beed-79ce31f65fad' },
    ]);
    expect(view.created_at).toBe('2026-11-25T02:37:12.157000');
  });
});

describe('the service role (Nova) in the volume view: version x role', () => {
  const MIGRATION_KEYS = ['migration_status', 'os-vol-mig-status-attr:migstat', 'os-vol-mig-status-attr:name_id'];
  const ADMIN_ONLY_KEYS = ['os-vol-host-attr:host', 'provider_id', 'cluster_name', 'migration_progress'];
  const TENANT = 'os-vol-tenant-attr:tenant_id';
  const matrix: [string, Role, string[], string[]][] = [
    [MIGRATION_PROGRESS, 'admin', [...MIGRATION_KEYS, ...ADMIN_ONLY_KEYS, TENANT], []],
    [MIGRATION_PROGRESS, 'service', MIGRATION_KEYS, [...ADMIN_ONLY_KEYS, TENANT]],
    [MIGRATION_PROGRESS, 'member', [TENANT], [...MIGRATION_KEYS, ...ADMIN_ONLY_KEYS]],
    [MIGRATION_PROGRESS, 'reader', [TENANT], [...MIGRATION_KEYS, ...ADMIN_ONLY_KEYS]],
    [PRIOR, 'service', MIGRATION_KEYS, ADMIN_ONLY_KEYS],
    [PRIOR, 'reader', [TENANT], [...MIGRATION_KEYS, ...ADMIN_ONLY_KEYS]],
    ['3.0', 'service', MIGRATION_KEYS, ADMIN_ONLY_KEYS],
    ['3.0', 'reader', [TENANT], [...MIGRATION_KEYS, 'os-vol-host-attr:host']],
  ];

  it.each(matrix)('at %s, a %s sees %j and not %j', (version, role, present, absent) => {
    const v = Object.assign(volume('migrating'), { nameId: '5d7e1c4a-2b3f-4a6d-9e8f-0a1b2c3d4e5f' });
    const view = volumeDetail(ctx(version, role), v, { withExtensions: true, migrationProgress: '42' });
    for (const key of present) expect(view).toHaveProperty(key);
    for (const key of absent) expect(view).not.toHaveProperty(key);
  });

  it('when the service user reads a migrating volume, then it gets its migration states and the name_id', () => {
    const v = Object.assign(volume('migrating'), { nameId: '5d7e1c4a-2b3f-4a6d-9e8f-0a1b2c3d4e5f' });
    const view = volumeDetail(ctx(MIGRATION_PROGRESS, 'service'), v, { withExtensions: true, migrationProgress: '42' });
    expect(view).toMatchObject({
      migration_status: 'migrating',
      'os-vol-mig-status-attr:migstat': 'migrating',
      'os-vol-mig-status-attr:name_id': '5d7e1c4a-2b3f-4a6d-9e8f-0a1b2c3d4e5f',
    });
  });

  it('when the service user reads a migrating volume at 3.72, then migration_progress is not shown nor asked for', () => {
    expect(showsMigrationProgress(ctx(MIGRATION_PROGRESS, 'service'), volume('migrating'))).toBe(false);
  });

  it('when the service user reads an attached volume, then the attachment host stays hidden', () => {
    const v = Object.assign(volume(null), {
      attachments: [
        {
          id: 'a1',
          volumeId: '0077a3ce-fc9d-424e-beed-79ce31f65fad',
          instanceUuid: 'i1',
          attachedHost: 'compute-1',
          mountpoint: '/dev/vdb',
          attachStatus: 'attached',
          attachTime: null,
        },
      ],
    });
    const view = volumeDetail(ctx(MIGRATION_PROGRESS, 'service'), v, { withExtensions: true });
    expect((view.attachments as Record<string, unknown>[])[0].host_name).toBeNull();
    const admin = volumeDetail(ctx(MIGRATION_PROGRESS, 'admin'), v, { withExtensions: true });
    expect((admin.attachments as Record<string, unknown>[])[0].host_name).toBe('compute-1');
  });
});

describe('a policy file that moves volume_extension:volume_migration_progress to a custom role', () => {
  const moved = PolicyEnforcer.create(
    parsePolicyText('test policy', '"volume_extension:volume_migration_progress": "role:migration_observer"\n'),
  );
  let previous: PolicyEnforcer;
  beforeEach(() => (previous = usePolicy(moved)));
  afterEach(() => usePolicy(previous));

  it.each<[Role, boolean]>([
    ['admin', false],
    ['observer', true],
    ['member', false],
    ['service', false],
  ])('when a %s reads a migrating volume at 3.72, then it sees migration_progress = %s', (role, shown) => {
    const view = volumeDetail(ctx(MIGRATION_PROGRESS, role), volume('migrating'), { withExtensions: true, migrationProgress: '42' });
    expect(showsMigrationProgress(ctx(MIGRATION_PROGRESS, role), volume('migrating'))).toBe(shown);
    expect('migration_progress' in view).toBe(shown);
  });

  it('when the observer reads below 3.72 or a volume not migrating, then the other gates still hold', () => {
    expect(showsMigrationProgress(ctx(PRIOR, 'observer'), volume('migrating'))).toBe(false);
    expect(showsMigrationProgress(ctx(MIGRATION_PROGRESS, 'observer'), volume('starting'))).toBe(false);
  });

  it('when the admin reads, then it keeps every other admin key: only the one rule moved', () => {
    const view = volumeDetail(ctx(MIGRATION_PROGRESS, 'admin'), volume('migrating'), { withExtensions: true, migrationProgress: '42' });
    for (const key of ['migration_status', 'os-vol-host-attr:host', 'os-vol-mig-status-attr:migstat', 'provider_id', 'cluster_name']) {
      expect(view).toHaveProperty(key);
    }
  });
});
