import { ErrorCode } from '@volume/domain';
import { refusal } from '@volume/domain/testing';
import { migrationRequestTarget, parseMigrateVolume, parseResetStatus } from './admin-actions';

const badRequest = (message: string): ReturnType<typeof refusal> => refusal(ErrorCode.BadRequest, message);
const BOOLISH =
  "[True, 'True', 'TRUE', 'true', '1', 'ON', 'On', 'on', 'YES', 'Yes', 'yes', 'y', 't', False, 'False', 'FALSE', 'false', '0', 'OFF', 'Off', 'off', 'NO', 'No', 'no', 'n', 'f']";

describe('os-migrate_volume as in the golden captures', () => {
  it('without host at 3.70 passes the schema, then one and only one of cluster and host must be set (capture 34)', () => {
    const params = parseMigrateVolume({ 'os-migrate_volume': {} }, '3.70');
    expect(() => migrationRequestTarget(params, '3.70')).toThrow(
      badRequest('Invalid input received: One and only one of cluster and host must be set.'),
    );
  });

  it('without host at 3.0 fails the schema (capture 35)', () => {
    expect(() => parseMigrateVolume({ 'os-migrate_volume': {} }, '3.0')).toThrow(
      badRequest("Invalid input for field/attribute os-migrate_volume. Value: {}. 'host' is a required property"),
    );
  });

  it('with both host and cluster (capture 38)', () => {
    const params = parseMigrateVolume({ 'os-migrate_volume': { host: 'peer-cinder@fake2#fake', cluster: 'c1' } }, '3.70');
    expect(() => migrationRequestTarget(params, '3.70')).toThrow(
      badRequest('Invalid input received: One and only one of cluster and host must be set.'),
    );
  });

  it("with force_host_copy 'maybe' (capture 39)", () => {
    expect(() =>
      parseMigrateVolume({ 'os-migrate_volume': { host: 'peer-cinder@fake2#fake', force_host_copy: 'maybe' } }, '3.70'),
    ).toThrow(badRequest(`Invalid input for field/attribute force_host_copy. Value: maybe. 'maybe' is not one of ${BOOLISH}`));
  });
});

describe('os-migrate_volume parameters', () => {
  it('parse the boolean-ish flags, defaulting to false', () => {
    expect(parseMigrateVolume({ 'os-migrate_volume': { host: 'h@b#p', force_host_copy: 'YES' } }, '3.70')).toEqual({
      host: 'h@b#p',
      cluster: null,
      forceHostCopy: true,
      lockVolume: false,
      bandwidthBytesPerSecond: null,
    });
  });

  it('refuse unknown keys', () => {
    expect(() => parseMigrateVolume({ 'os-migrate_volume': { host: 'h', bogus: 1 } }, '3.70')).toThrow(
      badRequest(
        "Invalid input for field/attribute os-migrate_volume. Value: {'host': 'h', 'bogus': 1}. Additional properties are not allowed ('bogus' was unexpected)",
      ),
    );
  });

  it('refuse cluster before 3.16', () => {
    expect(() => parseMigrateVolume({ 'os-migrate_volume': { host: 'h', cluster: 'c' } }, '3.15')).toThrow(
      badRequest(
        "Invalid input for field/attribute os-migrate_volume. Value: {'host': 'h', 'cluster': 'c'}. Additional properties are not allowed ('cluster' was unexpected)",
      ),
    );
  });

  it('target a host or, from 3.16, a cluster', () => {
    const v316 = '3.16';
    expect(migrationRequestTarget(parseMigrateVolume({ 'os-migrate_volume': { host: 'h' } }, v316), v316)).toEqual({ host: 'h' });
    expect(migrationRequestTarget(parseMigrateVolume({ 'os-migrate_volume': { cluster: 'c' } }, v316), v316)).toEqual({
      cluster: 'c',
    });
    expect(
      migrationRequestTarget(parseMigrateVolume({ 'os-migrate_volume': { host: 'h', cluster: '' } }, v316), v316),
    ).toEqual({ host: 'h' });
  });

  it('before 3.16 an empty host is "Host field is missing."', () => {
    const params = parseMigrateVolume({ 'os-migrate_volume': { host: '' } }, '3.15');
    expect(() => migrationRequestTarget(params, '3.15')).toThrow(badRequest('Invalid input received: Host field is missing.'));
  });
});

describe('parseResetStatus', () => {
  it('demands one of the keys', () => {
    expect(() => parseResetStatus({ 'os-reset_status': {} })).toThrow(
      badRequest("Must specify 'status', 'attach_status' or 'migration_status' for update."),
    );
  });

  it('checks that before unknown keys, since the format comes first in the schema', () => {
    expect(() => parseResetStatus({ 'os-reset_status': { bogus: 1 } })).toThrow(
      badRequest("Must specify 'status', 'attach_status' or 'migration_status' for update."),
    );
    expect(() => parseResetStatus({ 'os-reset_status': { status: 'available', bogus: 1 } })).toThrow(
      badRequest(
        "Invalid input for field/attribute os-reset_status. Value: {'status': 'available', 'bogus': 1}. Additional properties are not allowed ('bogus' was unexpected)",
      ),
    );
  });

  it('refuses an unknown migration status with Cinder\'s list', () => {
    expect(() => parseResetStatus({ 'os-reset_status': { migration_status: 'bogus' } })).toThrow(
      badRequest(
        "Volume migration status: bogus is invalid, valid statuses are: ('migrating', 'error', 'success', 'completing', 'none', 'starting').",
      ),
    );
  });

  it('lower-cases the values and stores migration status none as null', () => {
    expect(
      parseResetStatus({ 'os-reset_status': { status: 'Available', attach_status: 'DETACHED', migration_status: 'None' } }),
    ).toEqual({ status: 'available', attachStatus: 'detached', migrationStatus: null });
  });

  it('ignores empty and null values', () => {
    expect(parseResetStatus({ 'os-reset_status': { status: 'error', attach_status: '', migration_status: null } })).toEqual({
      status: 'error',
    });
  });
});
