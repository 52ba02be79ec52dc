import type { JsonSchema } from '@volume/api-dtos';

// Cinder's request schemas for volume types (cinder/api/schemas/volume_types.py and
// types_extra_specs.py over parameter_types.py). Key order is Cinder's: it decides which error a
// client sees first.

/** Python's re.escape since 3.7: only these characters get a backslash. */
const RE_SPECIAL = new Set('()[]{}?*+-|^$\\.&~# \t\n\r\v\f');

function reEscape(char: string): string {
  return RE_SPECIAL.has(char) ? `\\${char}` : char;
}

const NOT_PRINTABLE = /[\p{C}\p{Zl}\p{Zp}]/u;

/**
 * parameter_types.valid_description_regex: a character class of every printable character of
 * the Basic Multilingual Plane (not "other", no separator but spaces), written range by range as
 * Cinder's _build_regex_range writes it, so that the pattern a refusal quotes is Cinder's.
 */
function printableBmpPattern(): string {
  let ranges = '';
  let start: string | null = null;
  let previous = '';
  // Python walks range(0xFFFF): U+FFFF itself is not looked at.
  for (let code = 0; code < 0xffff; code += 1) {
    const char = String.fromCharCode(code);
    if (!NOT_PRINTABLE.test(char)) {
      if (start === null) {
        ranges += reEscape(char);
        start = char;
      }
    } else if (start !== null) {
      if (previous !== start) ranges += `-${reEscape(previous)}`;
      start = null;
    }
    previous = char;
  }
  return `^[${ranges}]*$`;
}

const name: JsonSchema = { type: 'string', minLength: 1, maxLength: 255 };

const description: JsonSchema = { type: ['string', 'null'], minLength: 0, maxLength: 255, pattern: printableBmpPattern() };

const boolean: JsonSchema = {
  type: ['boolean', 'string'],
  enum: [
    true, 'True', 'TRUE', 'true', '1', 'ON', 'On', 'on', 'YES', 'Yes', 'yes', 'y', 't',
    false, 'False', 'FALSE', 'false', '0', 'OFF', 'Off', 'off', 'NO', 'No', 'no', 'n', 'f',
  ],
};

const extraSpecsWithNull: JsonSchema = {
  type: 'object',
  patternProperties: { '^[a-zA-Z0-9-_:. /]{1,255}$': { type: ['string', 'null'], maxLength: 255 } },
  additionalProperties: false,
};

const extraSpecsWithNoSpacesKey: JsonSchema = {
  type: 'object',
  patternProperties: { '^[a-zA-Z0-9-_:.]{1,255}$': { type: ['string', 'null'], minLength: 0, maxLength: 255 } },
  additionalProperties: false,
};

/**
 * The part of the create schema that is checked before the name's "format" (Cinder's `name`
 * format checker, which the shared validator does not know): the checks on the way down to
 * `volume_type.name` and on the name itself.
 */
export const createVolumeTypeNameSchema: JsonSchema = {
  type: 'object',
  properties: { volume_type: { type: 'object', properties: { name } } },
};

/** `POST /types`. */
export const createVolumeTypeSchema: JsonSchema = {
  type: 'object',
  properties: {
    volume_type: {
      type: 'object',
      properties: {
        name,
        description,
        extra_specs: extraSpecsWithNull,
        'os-volume-type-access:is_public': boolean,
      },
      required: ['name'],
      additionalProperties: false,
    },
  },
  required: ['volume_type'],
  additionalProperties: false,
};

/** `POST /types/{id}/extra_specs`. */
export const createExtraSpecsSchema: JsonSchema = {
  type: 'object',
  properties: { extra_specs: extraSpecsWithNoSpacesKey },
  required: ['extra_specs'],
  additionalProperties: false,
};

/**
 * `PUT /types/{id}/extra_specs/{key}`: the body is one spec. Cinder adds minProperties and
 * maxProperties 1, which come last and are checked after this schema.
 */
export const updateExtraSpecSchema: JsonSchema = extraSpecsWithNoSpacesKey;
