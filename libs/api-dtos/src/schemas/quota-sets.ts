import { CodedError, ErrorCode, isQuotaResource, NON_QUOTA_KEYS, QuotaResource } from '@volume/domain';
import { parsePyInt } from '../python/numbers';
import { checkStringLength } from '../validation/check-string-length';
import type { JsonSchema } from '../validation/json-schema';
import { validate } from '../validation/validator';
import type { Body } from './body';
import { DB_MAX_INT } from './parameter-types';

/** One limit of an update: parsed, and as the body spelled it (Cinder's later checks read that). */
export interface QuotaSetChange {
  resource: QuotaResource;
  limit: number;
  requested: unknown;
}

/**
 * Cinder's update_quota schema (cinder/api/schemas/quotas.py) up to `quota_set`'s own checks:
 * python-jsonschema walks `type`, then `quota_set` (its type, `minProperties: 1`, then the
 * `quota_set` format checker), then `required` and `additionalProperties`; parseQuotaSetUpdate runs
 * the two `quota_set` checks this validator does not know in that place.
 */
const bodyAndQuotaSetTypes: JsonSchema = { type: 'object', properties: { quota_set: { type: 'object' } } };
const updateQuotaSetSchema: JsonSchema = { ...bodyAndQuotaSetTypes, required: ['quota_set'], additionalProperties: false };

/**
 * The body of PUT os-quota-sets/{project}, as Cinder's schema and its `quota_set` format checker
 * judge it; keys Cinder ignores (tenant_id, id) are left out of the result.
 * @throws CodedError(BadRequest) with Cinder's texts: the schema's, "<key> must be an integer",
 *   "<key> must be >= -1", "<key> must be <= 2147483647", or "Invalid input received: Bad key(s)
 *   in quota set: a, b".
 */
export function parseQuotaSetUpdate(body: unknown): QuotaSetChange[] {
  // Cinder's wsgi layer hands an empty body to the schema as None.
  const input = body === undefined ? null : body;
  validate(bodyAndQuotaSetTypes, input);
  const quotaSet = (input as Body).quota_set as Body | undefined;
  if (quotaSet !== undefined) {
    if (Object.keys(quotaSet).length === 0) {
      throw new CodedError(ErrorCode.BadRequest, 'Invalid input for field/attribute quota_set. Value: {}. {} does not have enough properties');
    }
    checkQuotaSetFormat(quotaSet);
  }
  validate(updateQuotaSetSchema, input);
  return Object.entries(quotaSet as Body)
    .filter(([key]) => isQuotaResource(key))
    .map(([key, value]) => ({ resource: key as QuotaResource, limit: quotaLimit(value, key), requested: value }));
}

/** Cinder's `quota_set` format checker: every value is checked where it stands, unknown keys all at the end. */
function checkQuotaSetFormat(quotaSet: Body): void {
  const bad: string[] = [];
  for (const [key, value] of Object.entries(quotaSet)) {
    if (NON_QUOTA_KEYS.includes(key)) continue;
    if (!isQuotaResource(key)) bad.push(key);
    else quotaLimit(value, key);
  }
  if (bad.length > 0) throw new CodedError(ErrorCode.BadRequest, `Invalid input received: Bad key(s) in quota set: ${bad.join(', ')}`);
}

/**
 * oslo's strutils.validate_integer(value, key, -1, MAX_INT), which reads `int(str(value))`: numeric
 * strings pass (' 5 ', '+5', '1_0'), booleans, null and fractions do not. A JSON 5.0 reaches us as
 * 5 and passes, where Python would see a float and refuse it.
 */
function quotaLimit(value: unknown, key: string): number {
  const parsed = pyIntOfStr(value);
  if (parsed === undefined) throw new CodedError(ErrorCode.BadRequest, `${key} must be an integer`);
  if (parsed < -1) throw new CodedError(ErrorCode.BadRequest, `${key} must be >= -1`);
  if (parsed > DB_MAX_INT) throw new CodedError(ErrorCode.BadRequest, `${key} must be <= ${DB_MAX_INT}`);
  return parsed;
}

function pyIntOfStr(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) ? value : undefined;
  return typeof value === 'string' ? parsePyInt(value) : undefined;
}

/**
 * Cinder's update checks the target project id's length (after the schema and the policy).
 * @throws CodedError(BadRequest) "Invalid input received: quota_set_name has N characters, more than 255."
 */
export function checkQuotaSetTarget(projectId: string): void {
  checkStringLength(projectId, 'quota_set_name', 1, 255);
}
