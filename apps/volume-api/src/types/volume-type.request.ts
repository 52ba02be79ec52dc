import { CodedError, ErrorCode } from '@volume/contracts';
import { validate } from '@volume/api-dtos';
import { parseBoolish, pyRepr } from '@volume/domain';
import { ExtraSpecsInput } from './extra-specs';
import {
  createExtraSpecsSchema,
  createVolumeTypeNameSchema,
  createVolumeTypeSchema,
  updateExtraSpecSchema,
} from './volume-type.schemas';

export interface CreateVolumeTypeInput {
  name: string;
  description: string | null;
  isPublic: boolean;
  extraSpecs: ExtraSpecsInput;
}

// Characters Python's str.strip() removes.
const PY_BLANK = /^[\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$/;

/** Cinder's wsgi layer hands an empty body to the schema as None. */
function bodyOf(body: unknown): unknown {
  return body === undefined ? null : body;
}

/**
 * `POST /types`, validated as Cinder's schema and controller do.
 * @throws CodedError(BadRequest) with Cinder's text for the first violation.
 */
export function parseCreateVolumeTypeRequest(body: unknown): CreateVolumeTypeInput {
  const input = bodyOf(body);
  validate(createVolumeTypeNameSchema, input);
  const name = (input as { volume_type?: { name?: unknown } }).volume_type?.name;
  if (typeof name === 'string' && PY_BLANK.test(name)) {
    throw new CodedError(ErrorCode.BadRequest, "An invalid 'name' value was provided. The 'name' can not be empty.");
  }
  validate(createVolumeTypeSchema, input);
  const type = (input as { volume_type: Record<string, unknown> }).volume_type;
  return {
    name: type.name as string,
    description: (type.description as string | null | undefined) ?? null,
    isPublic: parseBoolish(type['os-volume-type-access:is_public'] ?? true),
    extraSpecs: (type.extra_specs as ExtraSpecsInput | undefined) ?? {},
  };
}

/** `POST /types/{id}/extra_specs`: the specs to merge into the type's. */
export function parseCreateExtraSpecsRequest(body: unknown): ExtraSpecsInput {
  const input = bodyOf(body);
  validate(createExtraSpecsSchema, input);
  return (input as { extra_specs: ExtraSpecsInput }).extra_specs;
}

/** `PUT /types/{id}/extra_specs/{key}`: exactly one spec (whether it is `key` is checked later, as Cinder does). */
export function parseUpdateExtraSpecRequest(body: unknown): ExtraSpecsInput {
  const input = bodyOf(body);
  validate(updateExtraSpecSchema, input);
  const specs = input as ExtraSpecsInput;
  const count = Object.keys(specs).length;
  if (count < 1) throw new CodedError(ErrorCode.BadRequest, `${pyRepr(specs)} does not have enough properties`);
  if (count > 1) throw new CodedError(ErrorCode.BadRequest, `${pyRepr(specs)} has too many properties`);
  return specs;
}

/**
 * The `is_public` filter admins may give `GET /types` (Cinder's _parse_is_public): absent lists
 * public types, "none" lists all, anything else must be a boolean.
 * @throws CodedError(BadRequest) "Invalid is_public filter [x]".
 */
export function parseIsPublicFilter(value: string | undefined): boolean | null {
  if (value === undefined) return true;
  if (value.toLowerCase() === 'none') return null;
  try {
    return parseBoolish(value);
  } catch {
    throw new CodedError(ErrorCode.BadRequest, `Invalid is_public filter [${value}]`);
  }
}
