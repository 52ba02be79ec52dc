import { CodedError, ErrorCode, pyStrip } from '@volume/domain';
import { getBoolParam } from './python/bool-param';
import { parsePyInt } from './python/numbers';
import { DB_MAX_INT } from './schemas/parameter-types';
import {
  compareVersions,
  isAtLeast,
  LIKE_FILTER,
  RESOURCE_FILTER,
  SUPPORT_COUNT_INFO,
  USE_QUOTA,
  VOLUME_LIST_GLANCE_METADATA,
  VOLUME_LIST_GROUP,
  VOLUME_TIME_COMPARISON_FILTER,
} from './versions';

// GET /volumes and /volumes/detail query parameters, processed in the order of Cinder's
// VolumeController._get_volumes so the same request fails with the same first error.

export type SortDirection = 'asc' | 'desc';

export interface VolumeListQuery {
  limit: number;
  marker: string | null;
  offset: number;
  /** Database column names, created_at and id always last; ties break in the first direction. */
  sortKeys: string[];
  sortDirs: SortDirection[];
  /** Answer with the total count as well (>= 3.45). */
  withCount: boolean;
  /** An admin asked for every project's volumes. */
  allTenants: boolean;
  /** Non-admins never see the temporary destination rows of migrations. */
  excludeMigrationTargets: boolean;
  /** Remaining filters by database column; values stay raw except use_quota. */
  filters: Record<string, string | boolean>;
}

export interface ListCaller {
  isAdmin: boolean;
}

export interface VolumeListOptions {
  /** osapi_max_limit */
  maxLimit?: number;
  /** The "volume" entry of resource_filters.json: what non-admins may filter on from 3.31. */
  allowedFilters?: readonly string[];
  /** query_volume_filters: what non-admins may filter on before 3.31; the rest is dropped. */
  legacyAllowedFilters?: readonly string[];
}

export const DEFAULT_MAX_LIMIT = 1000;

export const DEFAULT_VOLUME_FILTERS: readonly string[] = [
  'name',
  'status',
  'metadata',
  'bootable',
  'migration_status',
  'availability_zone',
  'group_id',
  'size',
  'created_at',
  'updated_at',
  'consumes_quota',
];

export const LEGACY_VOLUME_FILTERS: readonly string[] = [
  'name',
  'status',
  'metadata',
  'availability_zone',
  'bootable',
  'group_id',
];

/** Columns of Cinder's volumes table, the keys its paginate_query can sort on. */
export const VOLUME_SORT_KEYS: readonly string[] = [
  'id', 'created_at', 'updated_at', 'deleted_at', 'deleted', 'user_id', 'project_id', 'snapshot_id',
  'cluster_name', 'host', 'size', 'availability_zone', 'status', 'attach_status', 'migration_status',
  'scheduled_at', 'launched_at', 'terminated_at', 'display_name', 'display_description',
  'provider_location', 'provider_auth', 'provider_geometry', 'provider_id', 'volume_type_id',
  'source_volid', 'encryption_key_id', 'consistencygroup_id', 'group_id', 'bootable', 'multiattach',
  'replication_status', 'replication_extended_status', 'replication_driver_data', 'previous_status',
  'service_uuid', 'shared_targets', 'use_quota',
];

/** Filters that appeared with a microversion; Cinder drops them below it (before 3.31 only). */
const ADDED_FILTERS: readonly [string, string][] = [
  [VOLUME_LIST_GLANCE_METADATA, 'glance_metadata'],
  [VOLUME_LIST_GROUP, 'group_id'],
  [VOLUME_TIME_COMPARISON_FILTER, 'created_at'],
  [VOLUME_TIME_COMPARISON_FILTER, 'updated_at'],
  [USE_QUOTA, 'use_quota'],
];

const RENAMED_FILTERS: ReadonlyMap<string, string> = new Map([
  ['name~', 'display_name~'],
  ['description~', 'display_description~'],
  ['consumes_quota', 'use_quota'],
]);

const DEFAULT_SORT_KEYS = ['created_at', 'id'];

/**
 * Parses list query parameters (one value per name) as Cinder does.
 * @throws CodedError(BadRequest) with Cinder's texts: "limit param must be an integer", "limit
 *   param must be positive", "offset must be an integer.", the sort errors, "Value 'x' for
 *   'with_count' is not a boolean.", "Invalid filters host are found in query options.", ...
 */
export function parseVolumeListQuery(
  query: Readonly<Record<string, string>>,
  version: string,
  caller: ListCaller,
  options: VolumeListOptions = {},
): VolumeListQuery {
  const params = new Map(Object.entries(query));
  const limit = limitParam(take(params, 'limit'), options.maxLimit ?? DEFAULT_MAX_LIMIT);
  const marker = take(params, 'marker') ?? null;
  const offset = offsetParam(take(params, 'offset'));
  const sort = sortParams(params);

  let withCount = false;
  if (isAtLeast(version, SUPPORT_COUNT_INFO) && params.has('with_count')) {
    withCount = getBoolParam('with_count', Object.fromEntries(params));
    params.delete('with_count');
  }

  const filters: Map<string, string | boolean> = filterParams(params, version, caller, options);
  const nameIndex = sort.keys.indexOf('name');
  if (nameIndex >= 0) sort.keys[nameIndex] = 'display_name';
  rename(filters, 'name', 'display_name');
  if (filters.has('use_quota')) filters.set('use_quota', getBoolParam('use_quota', Object.fromEntries(filters)));

  const allTenants = getBoolParam('all_tenants', Object.fromEntries(filters));
  filters.delete('all_tenants');

  const processed = processSortParams(sort.keys, sort.dirs);
  return {
    limit,
    marker,
    offset,
    sortKeys: processed.keys,
    sortDirs: processed.dirs,
    withCount,
    allTenants: caller.isAdmin && allTenants,
    excludeMigrationTargets: !caller.isAdmin,
    filters: Object.fromEntries(filters),
  };
}

function take(params: Map<string, string>, name: string): string | undefined {
  const value = params.get(name);
  params.delete(name);
  return value;
}

function rename<V>(params: Map<string, V>, from: string, to: string): void {
  if (!params.has(from)) return;
  const value = params.get(from) as V;
  params.delete(from);
  params.set(to, value);
}

function badRequest(message: string): CodedError {
  return new CodedError(ErrorCode.BadRequest, message);
}

function limitParam(text: string | undefined, maxLimit: number): number {
  if (text === undefined) return maxLimit;
  const limit = parsePyInt(text);
  if (limit === undefined) throw badRequest('limit param must be an integer');
  if (limit < 0) throw badRequest('limit param must be positive');
  return Math.min(limit, maxLimit);
}

function offsetParam(text: string | undefined): number {
  if (text === undefined) return 0;
  const offset = parsePyInt(text);
  if (offset === undefined) throw badRequest('offset must be an integer.');
  if (offset < 0) throw badRequest('offset must be >= 0');
  if (offset > DB_MAX_INT) throw badRequest(`offset must be <= ${DB_MAX_INT}`);
  return offset;
}

function sortParams(params: Map<string, string>): { keys: string[]; dirs: string[] } {
  const sort = take(params, 'sort');
  if (sort !== undefined && (params.has('sort_key') || params.has('sort_dir'))) {
    throw badRequest(
      "The 'sort_key' and 'sort_dir' parameters are deprecated and cannot be used with the 'sort' parameter.",
    );
  }
  if (sort === undefined) {
    return {
      keys: [pyStrip(take(params, 'sort_key') ?? 'created_at')],
      dirs: [pyStrip(take(params, 'sort_dir') ?? 'desc')],
    };
  }
  const keys: string[] = [];
  const dirs: string[] = [];
  for (const item of pyStrip(sort).split(',')) {
    const separator = item.indexOf(':');
    const key = separator < 0 ? item : item.slice(0, separator);
    const dir = separator < 0 ? '' : item.slice(separator + 1);
    keys.push(pyStrip(key));
    // An empty direction defaults before stripping, so 'name: ' fails as a blank direction.
    dirs.push(dir === '' ? 'desc' : pyStrip(dir));
  }
  return { keys, dirs };
}

function filterParams(
  params: Map<string, string>,
  version: string,
  caller: ListCaller,
  options: VolumeListOptions,
): Map<string, string> {
  if (!isAtLeast(version, RESOURCE_FILTER)) {
    for (const [addedIn, name] of ADDED_FILTERS) {
      if (compareVersions(version, addedIn) < 0) params.delete(name);
    }
    if (!caller.isAdmin) {
      const allowed = options.legacyAllowedFilters ?? LEGACY_VOLUME_FILTERS;
      for (const name of [...params.keys()]) if (!allowed.includes(name)) params.delete(name);
    }
    return params;
  }
  for (const name of params.keys()) {
    if (!/^[\x00-\x7f]*$/.test(name)) throw badRequest('Filter keys can only contain ASCII characters.');
  }
  if (!caller.isAdmin) rejectInvalidFilters(params, version, options.allowedFilters ?? DEFAULT_VOLUME_FILTERS);
  for (const name of [...params.keys()]) {
    const renamed = RENAMED_FILTERS.get(name);
    if (renamed !== undefined) rename(params, name, renamed);
  }
  return params;
}

function rejectInvalidFilters(params: Map<string, string>, version: string, allowed: readonly string[]): void {
  const likeFilters = isAtLeast(version, LIKE_FILTER);
  // From 3.34 a configured 'key~' also admits the exact-match 'key'.
  const permitted = (name: string): boolean => allowed.includes(name) || (likeFilters && allowed.includes(`${name}~`));
  const invalid = [...params.keys()].filter((name) => name !== 'all_tenants' && !permitted(name));
  if (invalid.length > 0) throw badRequest(`Invalid filters ${invalid.join(',')} are found in query options.`);
}

function processSortParams(keys: string[], dirs: string[]): { keys: string[]; dirs: SortDirection[] } {
  for (const dir of dirs) {
    if (dir !== 'asc' && dir !== 'desc') {
      throw badRequest("Invalid input received: Unknown sort direction, must be 'desc' or 'asc'.");
    }
  }
  const resultKeys = [...keys];
  const resultDirs = [...dirs] as SortDirection[];
  for (const key of DEFAULT_SORT_KEYS) {
    if (!resultKeys.includes(key)) {
      resultKeys.push(key);
      resultDirs.push(resultDirs[0]);
    }
  }
  if (resultKeys.some((key) => !VOLUME_SORT_KEYS.includes(key))) {
    throw badRequest('Invalid input received: Invalid sort key');
  }
  return { keys: resultKeys, dirs: resultDirs };
}
