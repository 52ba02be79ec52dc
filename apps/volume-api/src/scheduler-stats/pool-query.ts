import { CodedError, ErrorCode } from '@volume/contracts';
import { getBoolParam } from '@volume/api-dtos';
import { boolFromString, CapabilityValue, pyStr } from '@volume/domain';
import { ApiVersion, POOL_FILTER, POOL_TYPE_FILTER, RESOURCE_FILTER } from '@volume/microversion';
import { lastValues, QueryParams } from '../query-params';

/** What `GET /scheduler-stats/get_pools` asks for, once Cinder's microversion rules are applied. */
export interface PoolQuery {
  detail: boolean;
  /** Only the pool of this name. */
  name?: string;
  /** Only pools whose capabilities satisfy this volume type's extra specs (name or id). */
  volumeType?: string;
  /** Any other parameter: the pool's capability of that name must equal it. */
  capabilities: Record<string, string>;
}

/** The "pool" entry of Cinder's resource_filters.json. */
const POOL_FILTERS = ['name', 'volume_type'];

/**
 * Cinder's SchedulerStatsController.get_pools parameter handling: filters exist from 3.28 (before,
 * they are dropped), unknown ones are refused from 3.31, and volume_type counts from 3.35.
 * @throws CodedError(BadRequest) for a non-boolean `detail` or an unknown filter (>= 3.31).
 */
export function parsePoolQuery(query: QueryParams, version: ApiVersion): PoolQuery {
  const params = lastValues(query);
  const detail = getBoolParam('detail', params);
  delete params.detail;
  if (!version.gte(POOL_FILTER)) return { detail, capabilities: {} };
  if (version.gte(RESOURCE_FILTER)) rejectInvalidFilters(Object.keys(params));
  const { name, volume_type: volumeType, ...capabilities } = params;
  // Cinder skips falsy filters: `?name=` lists every pool.
  return {
    detail,
    name: name || undefined,
    volumeType: version.gte(POOL_TYPE_FILTER) ? volumeType || undefined : undefined,
    capabilities,
  };
}

function rejectInvalidFilters(keys: string[]): void {
  if (keys.some((key) => [...key].some((char) => (char.codePointAt(0) ?? 0) > 0x7f))) {
    throw new CodedError(ErrorCode.BadRequest, 'Filter keys can only contain ASCII characters.');
  }
  // all_tenants is tolerated everywhere; for pools it then matches no capability.
  const invalid = keys.filter((key) => !POOL_FILTERS.includes(key) && key !== 'all_tenants');
  if (invalid.length > 0) {
    throw new CodedError(ErrorCode.BadRequest, `Invalid filters ${invalid.join(',')} are found in query options.`);
  }
}

/**
 * The host manager's comparison of a query value with a reported capability: strings as they
 * are, booleans through bool_from_string, anything else by its Python str(); a capability the
 * pool does not report never matches.
 */
export function capabilityEquals(capability: CapabilityValue | undefined, value: string): boolean {
  if (capability === undefined || capability === null) return false;
  if (typeof capability === 'string') return capability === value;
  if (typeof capability === 'boolean') return capability === boolFromString(value);
  return pyStr(capability) === value;
}
