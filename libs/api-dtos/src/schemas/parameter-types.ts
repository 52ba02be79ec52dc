import type { JsonSchema } from '../validation/json-schema';

// Building blocks of Cinder's cinder/api/validation/parameter_types.py, key order included.

export const DB_MAX_INT = 0x7fffffff;

export const uuid: JsonSchema = { type: 'string', format: 'uuid' };

export const optionalUuid: JsonSchema = { oneOf: [{ type: 'null' }, { type: 'string', format: 'uuid' }] };

export const uuidAllowNull: JsonSchema = { oneOf: [uuid, { type: 'null' }] };

export const boolean: JsonSchema = {
  type: ['boolean', 'string'],
  enum: [
    true, 'True', 'TRUE', 'true', '1', 'ON', 'On', 'on', 'YES', 'Yes', 'yes', 'y', 't',
    false, 'False', 'FALSE', 'false', '0', 'OFF', 'Off', 'off', 'NO', 'No', 'no', 'n', 'f',
  ],
};

export const optionalBoolean: JsonSchema = { oneOf: [{ type: 'null' }, boolean] };

export const nameAllowZeroMinLength: JsonSchema = { type: ['string', 'null'], minLength: 0, maxLength: 255 };

const METADATA_KEY = '^[a-zA-Z0-9-_:. /]{1,255}$';

export const extraSpecs: JsonSchema = {
  type: 'object',
  patternProperties: { [METADATA_KEY]: { type: 'string', maxLength: 255 } },
  additionalProperties: false,
};

export const metadataAllowsNull: JsonSchema = { ...extraSpecs, type: ['object', 'null'] };

export const volumeSizeAllowsNull: JsonSchema = {
  type: ['integer', 'string', 'null'],
  pattern: '^[0-9]+$',
  minimum: 1,
  maximum: DB_MAX_INT,
};

export const availabilityZone: JsonSchema = { type: ['string', 'null'], minLength: 1, maxLength: 255 };

export const nullableName: JsonSchema = { type: ['string', 'null'], format: 'name_non_mandatory_remove_white_spaces' };

export const nullableDescription: JsonSchema = {
  type: ['string', 'null'],
  format: 'description_non_mandatory_remove_white_spaces',
};
