import {
  CodedError,
  ErrorCode,
  pyRepr,
  pyStrip,
  pyTruthy,
  RESETTABLE_ATTACH_STATUSES,
  RESETTABLE_MIGRATION_STATUSES,
  VOLUME_STATUSES,
} from '@volume/domain';
import { pyTupleRepr } from '../python/repr';
import { checkStringLength } from './check-string-length';

// Cinder's custom "format" checkers (cinder/api/validation/validators.py). A checker returning
// false yields jsonschema's "'x' is not a 'fmt'"; the ones that raise in Cinder throw here, and
// their text reaches the client as is, ahead of any later schema error.

type FormatChecker = (value: unknown) => boolean;

/** uuidutils.is_uuid_like: dashes, braces, 'urn:uuid:' and upper case are all tolerated. */
export function isUuidLike(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  const hex = value
    .replace(/urn:/g, '')
    .replace(/uuid:/g, '')
    .replace(/^[{}]+|[{}]+$/g, '')
    .replace(/-/g, '');
  return /^[0-9a-fA-F]{32}$/.test(hex);
}

function stripThenLimit(entity: string): FormatChecker {
  return (value) => {
    if (!pyTruthy(value)) return true;
    checkStringLength(typeof value === 'string' ? pyStrip(value) : value, entity, 0, 255);
    return true;
  };
}

function resetStatusBody(value: unknown): boolean {
  const body = value as Record<string, unknown>;
  if (!pyTruthy(body.status) && !pyTruthy(body.attach_status) && !pyTruthy(body.migration_status)) {
    throw new CodedError(
      ErrorCode.BadRequest,
      "Must specify 'status', 'attach_status' or 'migration_status' for update.",
    );
  }
  return true;
}

function oneOfStatuses(label: string, valid: readonly string[], printed: string): FormatChecker {
  return (value) => {
    if (typeof value === 'string' && value !== '' && !valid.includes(value.toLowerCase())) {
      throw new CodedError(
        ErrorCode.BadRequest,
        `${label}: ${value} is invalid, valid statuses are: ${printed}.`,
      );
    }
    return true;
  };
}

const CHECKERS: Readonly<Record<string, FormatChecker>> = {
  uuid: isUuidLike,
  name_non_mandatory_remove_white_spaces: stripThenLimit('name'),
  description_non_mandatory_remove_white_spaces: stripThenLimit('description'),
  validate_volume_reset_body: resetStatusBody,
  volume_status: oneOfStatuses('Volume status', VOLUME_STATUSES, pyTupleRepr(VOLUME_STATUSES)),
  volume_attach_status: oneOfStatuses(
    'Volume attach status',
    RESETTABLE_ATTACH_STATUSES,
    pyRepr(RESETTABLE_ATTACH_STATUSES),
  ),
  volume_migration_status: oneOfStatuses(
    'Volume migration status',
    RESETTABLE_MIGRATION_STATUSES,
    pyTupleRepr(RESETTABLE_MIGRATION_STATUSES),
  ),
};

/** True when `value` conforms; unknown formats pass, as in Cinder. */
export function checkFormat(format: string, value: unknown): boolean {
  const checker = CHECKERS[format];
  return checker === undefined || checker(value);
}
