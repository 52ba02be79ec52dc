import { validate } from '../validation/validator';
import { type Body, member, nullableString, stringMap, stripped } from './body';
import { schemaFor } from './schema-for';

/** Only the keys the client sent are present. */
export interface UpdateVolumeRequest {
  name?: string | null;
  description?: string | null;
  metadata?: Record<string, string>;
}

/**
 * PUT /volumes/{id} as Cinder's VolumeController.update reads it.
 * @throws CodedError(BadRequest) with Cinder's text (at >= 3.53 "... {} is not valid under any of
 *   the given schemas" for an empty volume).
 */
export function parseUpdateVolume(body: unknown, version: string): UpdateVolumeRequest {
  validate(schemaFor('volume.update', version), body);
  const volume = member(body as Body, 'volume');
  const update: UpdateVolumeRequest = {};
  const pick = (key: string, legacyKey: string): string | null | undefined => {
    if (Object.hasOwn(volume, key)) return nullableString(stripped(volume[key]));
    return Object.hasOwn(volume, legacyKey) ? nullableString(stripped(volume[legacyKey])) : undefined;
  };
  const name = pick('name', 'display_name');
  const description = pick('description', 'display_description');
  if (name !== undefined) update.name = name;
  if (description !== undefined) update.description = description;
  if (Object.hasOwn(volume, 'metadata')) update.metadata = stringMap(volume.metadata);
  return update;
}
