import { ApiVersion, getPriorVersion, MIGRATION_PROGRESS } from '@volume/microversion';
import { VolumeEntity } from '@volume/persistence';
import { RequestContext } from '../http/request-context';
import { showsMigrationProgress, volumeDetail, volumeSummary } from './volume.view-builder';

function ctx(version: string, isAdmin: boolean, isService = false): RequestContext {
  return {
    requestId: 'req-1',
    version: ApiVersion.parse(version),
    baseUrl: 'http://api:8776',
    urlProjectId: 'p1',
    caller: { userId: isAdmin ? 'admin' : isService ? 'nova' : 'demo', projectId: 'p1', roles: [], isAdmin, isService },
  };
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
  const matrix: [string, boolean, string | null, boolean][] = [
    [MIGRATION_PROGRESS, true, 'migrating', true],
    [PRIOR, true, 'migrating', false],
    ['3.0', true, 'migrating', false],
    [MIGRATION_PROGRESS, false, 'migrating', false],
    [MIGRATION_PROGRESS, true, 'starting', false],
    [MIGRATION_PROGRESS, true, 'completing', false],
    [MIGRATION_PROGRESS, true, 'success', false],
    [MIGRATION_PROGRESS, true, 'error', false],
    [MIGRATION_PROGRESS, true, null, false],
  ];

  it.each(matrix)('at %s, admin=%s, migration_status=%s: shows the field = %s', (version, isAdmin, status, shown) => {
    const c = ctx(version, isAdmin);
    const v = volume(status);
    expect(showsMigrationProgress(c, v)).toBe(shown);
    const view = volumeDetail(c, v, { withExtensions: true, migrationProgress: '42' });
    expect('migration_progress' in view).toBe(shown);
    if (shown) expect(view.migration_progress).toBe('42');
  });

  it('when the progress source answered nothing, then the field is absent even for an admin at 3.72 while migrating', () => {
    for (const empty of [null, undefined, '']) {
      const view = volumeDetail(ctx(MIGRATION_PROGRESS, true), volume('migrating'), { withExtensions: true, migrationProgress: empty });
      expect(view).not.toHaveProperty('migration_progress');
    }
  });

  it('when the volume is driver-assisted, then the field carries the string driver-assisted', () => {
    const view = volumeDetail(ctx(MIGRATION_PROGRESS, true), volume('migrating'), { withExtensions: true, migrationProgress: 'driver-assisted' });
    expect(view.migration_progress).toBe('driver-assisted');
  });

  it('when a volume is listed (summary), then the field never appears', () => {
    expect(volumeSummary(ctx(MIGRATION_PROGRESS, true), volume('migrating'))).not.toHaveProperty('migration_progress');
  });
});

describe('admin-only keys of the volume view', () => {
  it('when a member reads at the max version, then no admin-only key is present', () => {
    const view = volumeDetail(ctx(MIGRATION_PROGRESS, false), volume('migrating'), { withExtensions: true, migrationProgress: '42' });
    for (const key of ['migration_status', 'os-vol-host-attr:host', 'os-vol-mig-status-attr:migstat', 'os-vol-mig-status-attr:name_id', 'provider_id', 'cluster_name', 'migration_progress']) {
      expect(view).not.toHaveProperty(key);
    }
    expect(view['os-vol-tenant-attr:tenant_id']).toBe('p1');
  });

  it('when an admin reads at 3.0, then the later keys are absent and the admin keys present', () => {
    const view = volumeDetail(ctx('3.0', true), volume(null), { withExtensions: true });
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
  type Role = 'admin' | 'service' | 'member';
  const callerOf = (role: Role, version: string) => ctx(version, role === 'admin', role === 'service');
  const matrix: [string, Role, string[], string[]][] = [
    [MIGRATION_PROGRESS, 'admin', [...MIGRATION_KEYS, ...ADMIN_ONLY_KEYS], []],
    [MIGRATION_PROGRESS, 'service', MIGRATION_KEYS, ADMIN_ONLY_KEYS],
    [MIGRATION_PROGRESS, 'member', [], [...MIGRATION_KEYS, ...ADMIN_ONLY_KEYS]],
    [PRIOR, 'service', MIGRATION_KEYS, ADMIN_ONLY_KEYS],
    ['3.0', 'service', MIGRATION_KEYS, ADMIN_ONLY_KEYS],
  ];

  it.each(matrix)('at %s, a %s sees %j and not %j', (version, role, present, absent) => {
    const v = Object.assign(volume('migrating'), { nameId: '5d7e1c4a-2b3f-4a6d-9e8f-0a1b2c3d4e5f' });
    const view = volumeDetail(callerOf(role, version), v, { withExtensions: true, migrationProgress: '42' });
    for (const key of present) expect(view).toHaveProperty(key);
    for (const key of absent) expect(view).not.toHaveProperty(key);
  });

  it('when the service user reads a migrating volume, then it gets its migration states and the name_id', () => {
    const v = Object.assign(volume('migrating'), { nameId: '5d7e1c4a-2b3f-4a6d-9e8f-0a1b2c3d4e5f' });
    const view = volumeDetail(ctx(MIGRATION_PROGRESS, false, true), v, { withExtensions: true, migrationProgress: '42' });
    expect(view).toMatchObject({
      migration_status: 'migrating',
      'os-vol-mig-status-attr:migstat': 'migrating',
      'os-vol-mig-status-attr:name_id': '5d7e1c4a-2b3f-4a6d-9e8f-0a1b2c3d4e5f',
    });
  });

  it('when the service user reads a migrating volume at 3.72, then migration_progress is not shown nor asked for', () => {
    expect(showsMigrationProgress(ctx(MIGRATION_PROGRESS, false, true), volume('migrating'))).toBe(false);
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
    const view = volumeDetail(ctx(MIGRATION_PROGRESS, false, true), v, { withExtensions: true });
    expect((view.attachments as Record<string, unknown>[])[0].host_name).toBeNull();
    const admin = volumeDetail(ctx(MIGRATION_PROGRESS, true), v, { withExtensions: true });
    expect((admin.attachments as Record<string, unknown>[])[0].host_name).toBe('compute-1');
  });
});
