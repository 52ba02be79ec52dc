import { ErrorCode } from '@volume/domain';
import { refusal } from '@volume/domain/testing';
import { parseMigrateVolumeCancel, parseMigrateVolumeSetBandwidth, parseMigrationEstimate } from './admin-action-migration-control';
import { parseMigrateVolume } from './admin-actions';

const badRequest = (message: string): ReturnType<typeof refusal> => refusal(ErrorCode.BadRequest, message);
const migrate = (args: Record<string, unknown>) => ({ 'os-migrate_volume': { host: 'host-b@file#pool1', ...args } });
const setBandwidth = (args: unknown) => ({ 'os-migrate_volume_set_bandwidth': args });

describe("os-migrate_volume's own bandwidth (3.73)", () => {
  it('when given at 3.73, then it is the migration limit; absent, it is null', () => {
    expect(parseMigrateVolume(migrate({ bandwidth_bytes_per_second: 1048576 }), '3.73').bandwidthBytesPerSecond).toBe(1048576);
    expect(parseMigrateVolume(migrate({}), '3.73').bandwidthBytesPerSecond).toBeNull();
    expect(parseMigrateVolume(migrate({ bandwidth_bytes_per_second: null }), '3.73').bandwidthBytesPerSecond).toBeNull();
  });

  it('when given at 3.72, then it is refused as an unknown property, exactly as before 3.73', () => {
    expect(() => parseMigrateVolume(migrate({ bandwidth_bytes_per_second: 1024 }), '3.72')).toThrow(
      badRequest(
        "Invalid input for field/attribute os-migrate_volume. Value: {'host': 'host-b@file#pool1', 'bandwidth_bytes_per_second': 1024}. " +
          "Additional properties are not allowed ('bandwidth_bytes_per_second' was unexpected)",
      ),
    );
  });

  it('when it is not a positive whole number, then the schema refuses it', () => {
    expect(() => parseMigrateVolume(migrate({ bandwidth_bytes_per_second: 0 }), '3.73')).toThrow(
      badRequest('Invalid input for field/attribute bandwidth_bytes_per_second. Value: 0. 0 is less than the minimum of 1'),
    );
  });
});

describe('os-migrate_volume_set_bandwidth (3.73)', () => {
  it('when bytes_per_second is a positive whole number or null, then it is the new limit', () => {
    expect(parseMigrateVolumeSetBandwidth(setBandwidth({ bytes_per_second: 4096 }))).toBe(4096);
    expect(parseMigrateVolumeSetBandwidth(setBandwidth({ bytes_per_second: null }))).toBeNull();
  });

  it.each([
    [{ bytes_per_second: '1024' }, "Invalid input for field/attribute bytes_per_second. Value: 1024. '1024' is not of type 'integer', 'null'"],
    [{ bytes_per_second: 1.5 }, "Invalid input for field/attribute bytes_per_second. Value: 1.5. 1.5 is not of type 'integer', 'null'"],
    [{ bytes_per_second: -1 }, 'Invalid input for field/attribute bytes_per_second. Value: -1. -1 is less than the minimum of 1'],
    [{}, "Invalid input for field/attribute os-migrate_volume_set_bandwidth. Value: {}. 'bytes_per_second' is a required property"],
  ])('when the body is %j, then it is refused: %s', (args, message) => {
    expect(() => parseMigrateVolumeSetBandwidth(setBandwidth(args))).toThrow(badRequest(message));
  });
});

describe('os-migrate_volume_cancel (3.73)', () => {
  it('when it carries null or an empty object, then it passes; anything else is refused', () => {
    expect(() => parseMigrateVolumeCancel({ 'os-migrate_volume_cancel': null })).not.toThrow();
    expect(() => parseMigrateVolumeCancel({ 'os-migrate_volume_cancel': {} })).not.toThrow();
    expect(() => parseMigrateVolumeCancel({ 'os-migrate_volume_cancel': { force: true } })).toThrow(
      badRequest(
        "Invalid input for field/attribute os-migrate_volume_cancel. Value: {'force': True}. Additional properties are not allowed ('force' was unexpected)",
      ),
    );
  });
});

describe('the estimate body (3.73)', () => {
  it('when volume_id and host are given, then they are read; without host it is refused', () => {
    expect(parseMigrationEstimate({ volume_id: 'v-1', host: 'host-b@file#pool1' })).toEqual({
      volumeId: 'v-1',
      host: 'host-b@file#pool1',
      bandwidthBytesPerSecond: null,
    });
    expect(() => parseMigrationEstimate({ volume_id: 'v-1' })).toThrow(badRequest("'host' is a required property"));
  });

  it("when a bandwidth is given, then it is read; null is none; anything else os-migrate_volume refuses is refused with its text", () => {
    const asked = (bandwidth: unknown) => ({ volume_id: 'v-1', host: 'host-b@file#pool1', bandwidth_bytes_per_second: bandwidth });
    expect(parseMigrationEstimate(asked(8388608)).bandwidthBytesPerSecond).toBe(8388608);
    expect(parseMigrationEstimate(asked(null)).bandwidthBytesPerSecond).toBeNull();
    for (const bad of [0, -5, 1.5, '1024', Number.MAX_SAFE_INTEGER + 1]) {
      let migrateError: unknown;
      try {
        parseMigrateVolume(migrate({ bandwidth_bytes_per_second: bad }), '3.73');
      } catch (err) {
        migrateError = err;
      }
      expect(migrateError).toBeDefined();
      expect(() => parseMigrationEstimate(asked(bad))).toThrow(migrateError as Error);
    }
    expect(() => parseMigrationEstimate(asked(0))).toThrow(
      badRequest('Invalid input for field/attribute bandwidth_bytes_per_second. Value: 0. 0 is less than the minimum of 1'),
    );
  });
});
