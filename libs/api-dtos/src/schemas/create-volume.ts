import { CodedError, ErrorCode } from '@volume/domain';
import { parsePyInt } from '../python/numbers';
import { validate } from '../validation/validator';
import { type Body, member, nullableString, stringMap, stringOrNull, stripped } from './body';
import { schemaFor } from './schema-for';

/** webob's text for a 400 with no explanation; Cinder answers it for TypeErrors in a request. */
export const GENERIC_BAD_REQUEST_MESSAGE =
  'The server could not comply with the request since it is either malformed or otherwise incorrect.';

export const MULTIATTACH_REMOVED_MESSAGE =
  'multiattach parameter has been removed. The default behavior is to use multiattach enabled volume ' +
  'types. Contact your administrator to create a multiattach enabled volume type and use it to create ' +
  'multiattach volumes.';

export interface CreateVolumeRequest {
  /** Stripped; `name` wins over `display_name`. */
  name: string | null;
  /** Stripped; `description` wins over `display_description`. */
  description: string | null;
  /** Null when the size is to come from the snapshot, source volume, backup or image. */
  size: number | null;
  /** A name or an id; null (also for '') means the default type. */
  volumeType: string | null;
  metadata: Record<string, string>;
  availabilityZone: string | null;
  snapshotId: string | null;
  sourceVolid: string | null;
  consistencygroupId: string | null;
  groupId: string | null;
  backupId: string | null;
  /** From `imageRef`, or from `image_id`, which wins. */
  imageRef: string | null;
  schedulerHints: Record<string, unknown> | null;
}

/**
 * POST /volumes as Cinder's VolumeController.create reads it, up to the lookups that need storage
 * (volume type, snapshot, source volume, group, backup, image), which stay with the caller.
 * @throws CodedError(BadRequest) with Cinder's text: schema errors, "Invalid input received: name
 *   has 256 characters, more than 255.", the multiattach refusal, or the generic text when no
 *   size can be known.
 */
export function parseCreateVolume(body: unknown, version: string): CreateVolumeRequest {
  validate(schemaFor('volume.create', version), body);
  const root = body as Body;
  const volume = member(root, 'volume');
  const named = (key: string, legacyKey: string): string | null =>
    nullableString(stripped(Object.hasOwn(volume, key) ? volume[key] : volume[legacyKey]));

  // Python truthiness: any non-empty string, even 'False', asks for multiattach.
  const multiattach = volume.multiattach;
  if (multiattach === true || (typeof multiattach === 'string' && multiattach !== '')) {
    throw new CodedError(ErrorCode.BadRequest, MULTIATTACH_REMOVED_MESSAGE);
  }

  const request: CreateVolumeRequest = {
    name: named('name', 'display_name'),
    description: named('description', 'display_description'),
    size: sizeOf(volume.size),
    volumeType: stringOrNull(volume, 'volume_type') || null,
    metadata: stringMap(volume.metadata),
    availabilityZone: stringOrNull(volume, 'availability_zone'),
    snapshotId: stringOrNull(volume, 'snapshot_id'),
    sourceVolid: stringOrNull(volume, 'source_volid'),
    consistencygroupId: stringOrNull(volume, 'consistencygroup_id'),
    groupId: stringOrNull(volume, 'group_id'),
    backupId: stringOrNull(volume, 'backup_id') || null,
    imageRef: stringOrNull(volume, Object.hasOwn(volume, 'image_id') ? 'image_id' : 'imageRef'),
    schedulerHints: schedulerHints(root, volume),
  };
  const sizeCanBeInherited =
    request.snapshotId !== null || request.sourceVolid !== null || request.backupId !== null || request.imageRef !== null;
  // Cinder gets as far as comparing None with a number and answers the TypeError generically.
  if (request.size === null && !sizeCanBeInherited) {
    throw new CodedError(ErrorCode.BadRequest, GENERIC_BAD_REQUEST_MESSAGE);
  }
  return request;
}

function sizeOf(value: unknown): number | null {
  if (typeof value === 'number') return value;
  return typeof value === 'string' ? (parsePyInt(value) ?? null) : null;
}

function schedulerHints(root: Body, volume: Body): Record<string, unknown> | null {
  const topLevel = root['OS-SCH-HNT:scheduler_hints'];
  // Before 3.53 a client may also put them inside the volume, where Cinder reads them from.
  const hints = topLevel !== undefined && topLevel !== null ? topLevel : volume.scheduler_hints;
  return typeof hints === 'object' && hints !== null && !Array.isArray(hints) ? { ...hints } : null;
}
