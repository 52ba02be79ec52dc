import { ErrorCode } from './errors';
import { refusal } from '../test/refusal';
import {
  ACTIVE_MIGRATION_STATUSES,
  canStartMigration,
  checkMigrationCancel,
  checkResetStatus,
  checkVolumeUpdatable,
  type DeletableVolume,
  DELETABLE_STATUSES,
  isMigrating,
  isMigrationTarget,
  type MigratableVolume,
  migrationCancelVerdict,
  migrationRefusalMessage,
  migrationTargetStatus,
  planVolumeDelete,
  RUNNABLE_MIGRATION_STATUSES,
  startMigration,
} from './volume-status';

describe('migration statuses', () => {
  it('mark the temporary destination row with target:<source id>', () => {
    const status = migrationTargetStatus('src-1');
    expect(status).toBe('target:src-1');
    expect(isMigrationTarget(status)).toBe(true);
  });

  it('do not take other statuses for targets', () => {
    expect(isMigrationTarget('migrating')).toBe(false);
    expect(isMigrationTarget(null)).toBe(false);
  });

  it.each([null, 'deleting', 'error', 'success', 'cancelled'])('%j is not migrating', (status) => {
    expect(isMigrating(status)).toBe(false);
  });

  it.each(['starting', 'migrating', 'completing', 'cancelling', 'target:src-1'])('%s is migrating', (status) => {
    expect(isMigrating(status)).toBe(true);
  });

  it("call a source's migration under way active, and runnable only before its rows swap", () => {
    expect(ACTIVE_MIGRATION_STATUSES.every(isMigrating)).toBe(true);
    expect(RUNNABLE_MIGRATION_STATUSES.every((s) => ACTIVE_MIGRATION_STATUSES.includes(s))).toBe(true);
    expect(RUNNABLE_MIGRATION_STATUSES).not.toContain('completing');
  });
});

describe('os-migrate_volume_cancel', () => {
  it.each([
    ['starting', 'cancel'],
    ['migrating', 'cancel'],
    ['cancelling', 'already-cancelled'],
    ['cancelled', 'already-cancelled'],
    ['completing', 'past-switch-over'],
    ['success', 'past-switch-over'],
    [null, 'not-migrating'],
    ['error', 'not-migrating'],
    ['target:src-1', 'not-migrating'],
  ])('when migration_status is %j, then the verdict is %s', (status, verdict) => {
    expect(migrationCancelVerdict(status)).toBe(verdict);
  });

  it('when the migration is past its switch-over, then the refusal says so', () => {
    expect(() => checkMigrationCancel('v-1', 'past-switch-over')).toThrow(
      refusal(ErrorCode.InvalidVolume, 'Invalid volume: The migration of volume v-1 is past its switch-over to the destination and cannot be cancelled.'),
    );
  });

  it('when nothing migrates, then the refusal is an invalid volume; a cancel or a repeat passes', () => {
    expect(() => checkMigrationCancel('v-1', 'not-migrating')).toThrow(
      refusal(ErrorCode.InvalidVolume, 'Invalid volume: Volume v-1 is not being migrated; there is nothing to cancel.'),
    );
    expect(() => checkMigrationCancel('v-1', 'cancel')).not.toThrow();
    expect(() => checkMigrationCancel('v-1', 'already-cancelled')).not.toThrow();
  });

  it('when a migration was cancelled, then a new one may start', () => {
    const volume: MigratableVolume = {
      id: 'v-1',
      status: 'available',
      migrationStatus: 'cancelled',
      replicationStatus: null,
      consistencygroupId: null,
      groupId: null,
      host: 'host-a@file#pool1',
      clusterName: null,
    };
    expect(canStartMigration(volume, { host: 'host-b@file#pool1' })).toBe(true);
  });
});

describe('planVolumeDelete', () => {
  const volume: DeletableVolume = {
    status: 'available',
    host: 'host-a@file#pool1',
    attachStatus: 'detached',
    migrationStatus: null,
    consistencygroupId: null,
    groupId: null,
  };
  const refused = refusal(
    ErrorCode.InvalidVolume,
    'Invalid volume: Volume status must be available or error or error_restoring or error_extending or error_managing ' +
      'and must not be migrating, attached, belong to a group, have snapshots, awaiting a transfer, or be disassociated ' +
      'from snapshots after volume transfer.',
  );

  it.each(DELETABLE_STATUSES)('deletes a %s volume on its backend', (status) => {
    expect(planVolumeDelete({ ...volume, status })).toEqual({ kind: 'delete-on-backend', host: 'host-a@file#pool1' });
  });

  it.each(['in-use', 'creating', 'maintenance', 'reserved', 'deleting', 'error_deleting'])('refuses a %s volume', (status) => {
    expect(() => planVolumeDelete({ ...volume, status })).toThrow(refused);
  });

  it('refuses a migrating, attached or grouped volume', () => {
    expect(() => planVolumeDelete({ ...volume, migrationStatus: 'migrating' })).toThrow(refused);
    expect(() => planVolumeDelete({ ...volume, migrationStatus: 'target:src' })).toThrow(refused);
    expect(() => planVolumeDelete({ ...volume, attachStatus: 'attached' })).toThrow(refused);
    expect(() => planVolumeDelete({ ...volume, groupId: 'g1' })).toThrow(refused);
    expect(() => planVolumeDelete({ ...volume, consistencygroupId: 'cg1' })).toThrow(refused);
  });

  it('allows a volume whose last migration ended', () => {
    for (const migrationStatus of ['success', 'error', 'deleting']) {
      expect(planVolumeDelete({ ...volume, migrationStatus }).kind).toBe('delete-on-backend');
    }
  });

  it('drops a never-scheduled volume at once, whatever its state', () => {
    expect(planVolumeDelete({ ...volume, host: null, status: 'creating', migrationStatus: 'migrating' })).toEqual({
      kind: 'destroy-row',
    });
  });
});

describe('os-migrate_volume preconditions', () => {
  const volume: MigratableVolume = {
    id: '0077a3ce-fc9d-424e-beed-79ce31f65fad',
    status: 'available',
    migrationStatus: null,
    replicationStatus: null,
    consistencygroupId: null,
    groupId: null,
    host: 'peer-cinder@fake1#fake',
    clusterName: null,
  };
  const elsewhere = { host: 'peer-cinder@fake2#fake' };
  const refused = refusal(
    ErrorCode.InvalidVolume,
    'Invalid volume: Volume 0077a3ce-fc9d-424e-beed-79ce31f65fad status must be available or in-use, must not be ' +
      'migrating, have snapshots, be replicated, be part of a group and destination host/cluster must be different ' +
      'than the current one',
  );

  it('let an available or in-use volume move to another host', () => {
    expect(canStartMigration(volume, elsewhere)).toBe(true);
    expect(canStartMigration({ ...volume, status: 'in-use' }, elsewhere)).toBe(true);
    expect(canStartMigration({ ...volume, migrationStatus: 'success', replicationStatus: 'disabled' }, elsewhere)).toBe(true);
  });

  it('refuse the volume\'s own host, compared as the exact string (capture 36)', () => {
    expect(() => startMigration(volume, { host: 'peer-cinder@fake1#fake' }, false)).toThrow(refused);
    expect(canStartMigration(volume, { host: 'peer-cinder@fake1' })).toBe(true);
  });

  it('refuse a volume in error (capture 40) and one already migrating (capture 41)', () => {
    expect(() => startMigration({ ...volume, status: 'error' }, elsewhere, false)).toThrow(refused);
    expect(() => startMigration({ ...volume, migrationStatus: 'migrating' }, elsewhere, false)).toThrow(refused);
  });

  it('refuse replicated and grouped volumes, and one in maintenance', () => {
    expect(canStartMigration({ ...volume, replicationStatus: 'enabled' }, elsewhere)).toBe(false);
    expect(canStartMigration({ ...volume, groupId: 'g' }, elsewhere)).toBe(false);
    expect(canStartMigration({ ...volume, consistencygroupId: 'cg' }, elsewhere)).toBe(false);
    expect(canStartMigration({ ...volume, status: 'maintenance' }, elsewhere)).toBe(false);
  });

  it('treat an empty group id as no group, as Cinder does', () => {
    expect(canStartMigration({ ...volume, groupId: '', consistencygroupId: '' }, elsewhere)).toBe(true);
  });

  it('compare clusters when the destination service is clustered', () => {
    const clustered = { ...volume, clusterName: 'c1' };
    expect(canStartMigration(clustered, { clusterName: 'c1' })).toBe(false);
    expect(canStartMigration(clustered, { clusterName: 'c2' })).toBe(true);
    expect(canStartMigration(volume, { clusterName: 'c1' })).toBe(true);
  });

  it('start the migration, locking only an available volume into maintenance', () => {
    expect(startMigration(volume, elsewhere, false)).toEqual({
      status: 'available',
      previousStatus: 'available',
      migrationStatus: 'starting',
    });
    expect(startMigration(volume, elsewhere, true).status).toBe('maintenance');
    expect(startMigration({ ...volume, status: 'in-use' }, elsewhere, true).status).toBe('in-use');
  });

  it('word the refusal with the volume id', () => {
    expect(migrationRefusalMessage('v1')).toMatch(/^Invalid volume: Volume v1 status must be available or in-use/);
  });
});

describe('checkVolumeUpdatable', () => {
  it('refuses a volume in maintenance, as a locked migration leaves it', () => {
    expect(() => checkVolumeUpdatable('maintenance')).toThrow(
      refusal(ErrorCode.InvalidVolume, 'Invalid volume: The volume cannot be updated during maintenance.'),
    );
    expect(() => checkVolumeUpdatable('in-use')).not.toThrow();
  });
});

describe('checkResetStatus', () => {
  it('refuses deleting', () => {
    expect(() => checkResetStatus({ status: 'deleting' }, { hasAttachments: false })).toThrow(
      refusal(ErrorCode.BadRequest, 'Cannot reset-state to deleting'),
    );
  });

  it('lets error_deleting and detaching through, as Cinder\'s comma-less tuple does', () => {
    expect(() => checkResetStatus({ status: 'error_deleting' }, { hasAttachments: false })).not.toThrow();
    expect(() => checkResetStatus({ status: 'detaching' }, { hasAttachments: true })).not.toThrow();
  });

  it('refuses in-use without attachments', () => {
    expect(() => checkResetStatus({ status: 'in-use' }, { hasAttachments: false })).toThrow(
      refusal(ErrorCode.BadRequest, 'Cannot reset-state to in-use because volume does not have any attachments.'),
    );
    expect(() => checkResetStatus({ status: 'in-use' }, { hasAttachments: true })).not.toThrow();
  });

  it('allows resets that touch only attach or migration status', () => {
    expect(() => checkResetStatus({ attachStatus: 'detached', migrationStatus: null }, { hasAttachments: true })).not.toThrow();
  });
});
