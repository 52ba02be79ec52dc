import { ErrorCode } from '@volume/domain';
import { refusal } from '@volume/domain/testing';
import { checkFormat, isUuidLike } from './formats';

const badRequest = (message: string): ReturnType<typeof refusal> => refusal(ErrorCode.BadRequest, message);

describe('isUuidLike is oslo uuidutils.is_uuid_like', () => {
  it.each([
    '6b8c7b50-3d2e-4d6a-9d1f-2f7a1b2c3d4e',
    '6B8C7B503D2E4D6A9D1F2F7A1B2C3D4E',
    '{6b8c7b50-3d2e-4d6a-9d1f-2f7a1b2c3d4e}',
    'urn:uuid:6b8c7b50-3d2e-4d6a-9d1f-2f7a1b2c3d4e',
  ])('accepts %s', (text) => {
    expect(isUuidLike(text)).toBe(true);
  });

  it.each(['abc', '6b8c7b50-3d2e-4d6a-9d1f-2f7a1b2c3d4', '6b8c7b50-3d2e-4d6a-9d1f-2f7a1b2c3d4g', 42])('refuses %j', (value) => {
    expect(isUuidLike(value)).toBe(false);
  });
});

describe('name and description formats strip, then limit to 255 characters', () => {
  it('accepts 255 characters once surrounding spaces are stripped', () => {
    expect(checkFormat('name_non_mandatory_remove_white_spaces', `  ${'n'.repeat(255)}  `)).toBe(true);
  });

  it('throws Cinder\'s InvalidInput text for 256 characters (capture 30)', () => {
    expect(() => checkFormat('name_non_mandatory_remove_white_spaces', 'n'.repeat(256))).toThrow(
      badRequest('Invalid input received: name has 256 characters, more than 255.'),
    );
    expect(() => checkFormat('description_non_mandatory_remove_white_spaces', 'd'.repeat(256))).toThrow(
      badRequest('Invalid input received: description has 256 characters, more than 255.'),
    );
  });

  it('accepts null and the empty string', () => {
    expect(checkFormat('name_non_mandatory_remove_white_spaces', null)).toBe(true);
    expect(checkFormat('name_non_mandatory_remove_white_spaces', '')).toBe(true);
  });
});

describe('os-reset_status formats', () => {
  it('demand at least one truthy key', () => {
    expect(() => checkFormat('validate_volume_reset_body', { status: '', migration_status: null })).toThrow(
      badRequest("Must specify 'status', 'attach_status' or 'migration_status' for update."),
    );
  });

  it('accept statuses case-insensitively', () => {
    expect(checkFormat('volume_status', 'AVAILABLE')).toBe(true);
    expect(checkFormat('volume_migration_status', 'None')).toBe(true);
  });

  it('list the valid statuses as Cinder prints them', () => {
    expect(() => checkFormat('volume_migration_status', 'bogus')).toThrow(
      badRequest(
        "Volume migration status: bogus is invalid, valid statuses are: ('migrating', 'error', 'success', 'completing', 'none', 'starting').",
      ),
    );
    expect(() => checkFormat('volume_attach_status', 'bogus')).toThrow(
      badRequest("Volume attach status: bogus is invalid, valid statuses are: ['attached', 'detached']."),
    );
    expect(() => checkFormat('volume_status', 'bogus')).toThrow(
      badRequest(
        "Volume status: bogus is invalid, valid statuses are: ('creating', 'available', 'deleting', 'error', " +
          "'error_deleting', 'error_managing', 'managing', 'attaching', 'in-use', 'detaching', 'maintenance', " +
          "'restoring-backup', 'error_restoring', 'reserved', 'awaiting-transfer', 'backing-up', " +
          "'error_backing-up', 'error_extending', 'downloading', 'uploading', 'retyping', 'extending').",
      ),
    );
  });
});
