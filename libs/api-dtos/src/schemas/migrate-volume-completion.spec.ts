import { ErrorCode } from '@volume/domain';
import { refusal } from '@volume/domain/testing';
import { parseMigrateVolumeCompletion } from './admin-actions';

const badRequest = (message: string): ReturnType<typeof refusal> => refusal(ErrorCode.BadRequest, message);
const NEW = '9b2f6a3c-1d4e-4f5a-8b6c-7d8e9f0a1b2c';

describe('os-migrate_volume_completion body', () => {
  it('when new_volume is a uuid and error is false, then it parses to a successful completion', () => {
    expect(parseMigrateVolumeCompletion({ 'os-migrate_volume_completion': { new_volume: NEW, error: false } })).toEqual({
      newVolumeId: NEW,
      error: false,
    });
  });

  it('when error is missing, null or an empty string, then it is not an error', () => {
    for (const args of [{ new_volume: NEW }, { new_volume: NEW, error: null }, { new_volume: NEW, error: '' }]) {
      expect(parseMigrateVolumeCompletion({ 'os-migrate_volume_completion': args }).error).toBe(false);
    }
  });

  it('when error is true or any non-empty string (even "false"), then it is an error, as Python reads it', () => {
    for (const error of [true, 'true', 'false', 'False', '0', 'no']) {
      expect(parseMigrateVolumeCompletion({ 'os-migrate_volume_completion': { new_volume: NEW, error } }).error).toBe(true);
    }
  });

  it('when new_volume is missing, then Cinder\'s required-property text', () => {
    expect(() => parseMigrateVolumeCompletion({ 'os-migrate_volume_completion': {} })).toThrow(
      badRequest("Invalid input for field/attribute os-migrate_volume_completion. Value: {}. 'new_volume' is a required property"),
    );
  });

  it('when new_volume is not a uuid, then Cinder\'s format text', () => {
    expect(() => parseMigrateVolumeCompletion({ 'os-migrate_volume_completion': { new_volume: 'abc' } })).toThrow(
      badRequest("Invalid input for field/attribute new_volume. Value: abc. 'abc' is not a 'uuid'"),
    );
    expect(() => parseMigrateVolumeCompletion({ 'os-migrate_volume_completion': { new_volume: 42 } })).toThrow(
      badRequest("Invalid input for field/attribute new_volume. Value: 42. 42 is not of type 'string'"),
    );
  });

  it('when error is a number, then Cinder\'s type text lists the three types', () => {
    expect(() => parseMigrateVolumeCompletion({ 'os-migrate_volume_completion': { new_volume: NEW, error: 1 } })).toThrow(
      badRequest("Invalid input for field/attribute error. Value: 1. 1 is not of type 'string', 'null', 'boolean'"),
    );
  });

  it('when an unknown key is sent, then additional properties are refused', () => {
    expect(() => parseMigrateVolumeCompletion({ 'os-migrate_volume_completion': { new_volume: NEW, bogus: 1 } })).toThrow(
      badRequest(
        `Invalid input for field/attribute os-migrate_volume_completion. Value: {'new_volume': '${NEW}', 'bogus': 1}. Additional properties are not allowed ('bogus' was unexpected)`,
      ),
    );
  });

  it('when the action value is null, then it is not an object', () => {
    expect(() => parseMigrateVolumeCompletion({ 'os-migrate_volume_completion': null })).toThrow(
      badRequest("Invalid input for field/attribute os-migrate_volume_completion. Value: None. None is not of type 'object'"),
    );
  });
});
