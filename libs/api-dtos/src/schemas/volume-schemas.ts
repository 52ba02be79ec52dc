import type { JsonSchema } from '../validation/json-schema';
import {
  availabilityZone,
  extraSpecs,
  metadataAllowsNull,
  nameAllowZeroMinLength,
  nullableDescription,
  nullableName,
  optionalBoolean,
  optionalUuid,
  volumeSizeAllowsNull,
} from './parameter-types';

// Cinder's cinder/api/schemas/volumes.py: one create schema per microversion range, each a copy
// of the previous one plus a property.

const createProperties: Readonly<Record<string, JsonSchema>> = {
  name: nullableName,
  description: nullableDescription,
  display_name: nullableName,
  display_description: nullableDescription,
  // A name or an id, so it is checked lazily against the volume types.
  volume_type: nameAllowZeroMinLength,
  metadata: metadataAllowsNull,
  snapshot_id: optionalUuid,
  source_volid: optionalUuid,
  consistencygroup_id: optionalUuid,
  size: volumeSizeAllowsNull,
  availability_zone: availabilityZone,
  multiattach: optionalBoolean,
  image_id: { type: ['string', 'null'], minLength: 0, maxLength: 255 },
  imageRef: { type: ['string', 'null'], minLength: 0, maxLength: 255 },
};

function createVolume(properties: Readonly<Record<string, JsonSchema>>, additionalProperties: boolean): JsonSchema {
  return {
    type: 'object',
    properties: {
      volume: { type: 'object', properties, additionalProperties },
      'OS-SCH-HNT:scheduler_hints': { type: ['object', 'null'] },
    },
    required: ['volume'],
    additionalProperties: false,
  };
}

const v313Properties: Readonly<Record<string, JsonSchema>> = {
  ...createProperties,
  group_id: { type: ['string', 'null'], minLength: 0, maxLength: 255 },
};
const v347Properties: Readonly<Record<string, JsonSchema>> = { ...v313Properties, backup_id: optionalUuid };

/** 3.0 - 3.12 */
export const createVolumeSchema = createVolume(createProperties, true);
/** 3.13 - 3.46: + group_id */
export const createVolumeV313Schema = createVolume(v313Properties, true);
/** 3.47 - 3.52: + backup_id */
export const createVolumeV347Schema = createVolume(v347Properties, true);
/** 3.53+: unknown volume keys are refused */
export const createVolumeV353Schema = createVolume(v347Properties, false);

function updateVolume(volume: JsonSchema): JsonSchema {
  return { type: 'object', properties: { volume }, required: ['volume'], additionalProperties: false };
}

const updatableVolume: JsonSchema = {
  type: 'object',
  properties: {
    name: nullableName,
    description: nullableDescription,
    display_name: nullableName,
    display_description: nullableDescription,
    metadata: extraSpecs,
  },
  additionalProperties: false,
};

/** 3.0 - 3.52 */
export const updateVolumeSchema = updateVolume(updatableVolume);
/** 3.53+: at least one updatable key */
export const updateVolumeV353Schema = updateVolume({
  ...updatableVolume,
  anyOf: ['name', 'description', 'display_name', 'display_description', 'metadata'].map((key) => ({
    required: [key],
  })),
});
