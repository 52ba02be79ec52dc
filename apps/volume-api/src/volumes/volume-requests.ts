import { CodedError, ErrorCode } from '@volume/contracts';
import { GENERIC_BAD_REQUEST_MESSAGE, parseCreateVolume, parseUpdateVolume, parseVolumeListQuery } from '@volume/api-dtos';
import { VolumeEntity } from '@volume/persistence';
import { isContextAdmin } from '../http/policy';
import { AuthedContext } from '../http/request-context';
import { VolumeTypesService } from '../types/volume-types.service';
import { SortKey, TimeFilter, VolumeListSpec } from './volume-list.repository';
import { CreateVolumeInput, UpdateVolumeInput } from './volumes.service';

export type QueryParams = Record<string, string | string[] | undefined>;

/** Database column (as Cinder names it) to entity property, for the columns we keep. */
const PROPERTY_OF: Record<string, keyof VolumeEntity> = {
  id: 'id',
  created_at: 'createdAt',
  updated_at: 'updatedAt',
  display_name: 'displayName',
  display_description: 'displayDescription',
  status: 'status',
  size: 'size',
  availability_zone: 'availabilityZone',
  bootable: 'bootable',
  migration_status: 'migrationStatus',
  group_id: 'groupId',
  use_quota: 'useQuota',
  host: 'host',
  project_id: 'projectId',
  user_id: 'userId',
  volume_type_id: 'volumeTypeId',
  attach_status: 'attachStatus',
  multiattach: 'multiattach',
  replication_status: 'replicationStatus',
  snapshot_id: 'snapshotId',
  source_volid: 'sourceVolid',
  cluster_name: 'clusterName',
  consistencygroup_id: 'groupId',
};

const TIME_FILTER = /^(gt|gte|eq|neq|lt|lte):(.+)$/;

function flat(query: QueryParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(query)) if (v !== undefined) out[k] = Array.isArray(v) ? v[v.length - 1] : v;
  return out;
}

function invalidFilter(message: string): CodedError {
  return new CodedError(ErrorCode.BadRequest, `Invalid input received: ${message}`);
}

/** Cinder's list parameters, refused with Cinder's texts, turned into a query for our tables. */
export async function parseListRequest(query: QueryParams, ctx: AuthedContext, maxLimit: number): Promise<VolumeListSpec> {
  const q = parseVolumeListQuery(flat(query), ctx.version.toString(), { isAdmin: isContextAdmin(ctx.caller) }, { maxLimit });
  const sort: SortKey[] = q.sortKeys.map((key, i) => {
    const property = PROPERTY_OF[key];
    if (!property) throw new CodedError(ErrorCode.BadRequest, 'Invalid input received: Invalid sort key');
    return { property, dir: q.sortDirs[i] };
  });
  const spec: VolumeListSpec = {
    limit: q.limit,
    marker: q.marker ?? undefined,
    offset: q.offset,
    sort,
    allTenants: q.allTenants,
    withCount: q.withCount,
    equals: {},
    like: {},
    times: {},
  };
  for (const [key, raw] of Object.entries(q.filters)) {
    if (key === 'metadata') {
      spec.metadata = parseMetadataFilter(String(raw));
      continue;
    }
    const like = key.endsWith('~');
    const column = like ? key.slice(0, -1).replace(/^name$/, 'display_name') : key;
    const property = PROPERTY_OF[column];
    // Cinder ignores filters on columns it does not know; so do we (never a 500).
    if (!property) continue;
    if (like) {
      spec.like[property] = String(raw);
    } else if ((column === 'created_at' || column === 'updated_at') && typeof raw === 'string' && TIME_FILTER.test(raw)) {
      spec.times[property as 'createdAt' | 'updatedAt'] = parseTimeFilters(raw);
    } else {
      spec.equals[property] = coerce(property, raw);
    }
  }
  return spec;
}

function parseMetadataFilter(raw: string): Record<string, string> {
  try {
    const parsed = JSON.parse(raw);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
      return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, String(v)]));
    }
  } catch {
    // fall through to Cinder's refusal
  }
  throw invalidFilter(`metadata filter must be a JSON dict, not ${raw}`);
}

function parseTimeFilters(raw: string): TimeFilter[] {
  return raw.split(',').map((part) => {
    const m = TIME_FILTER.exec(part.trim());
    const value = m ? new Date(`${m[2]}${/[zZ]|[+-]\d\d:?\d\d$/.test(m[2]) ? '' : 'Z'}`) : undefined;
    if (!m || !value || Number.isNaN(value.getTime())) throw invalidFilter(`Invalid time comparison filter ${part}`);
    return { op: m[1] as TimeFilter['op'], value };
  });
}

function coerce(property: keyof VolumeEntity, raw: string | boolean): unknown {
  if (typeof raw === 'boolean') return raw;
  if (property === 'bootable' || property === 'multiattach') return ['true', '1', 'yes', 't', 'on'].includes(raw.toLowerCase());
  if (property === 'size') {
    if (!/^\d+$/.test(raw)) throw invalidFilter(`size must be an integer, not ${raw}`);
    return Number(raw);
  }
  // A value the column cannot hold matches no row (Cinder on MySQL compares it and finds none).
  if (['id', 'groupId', 'volumeTypeId', 'snapshotId', 'sourceVolid'].includes(property) && !UUID_TEXT.test(raw)) return [];
  if (property === 'createdAt' || property === 'updatedAt') {
    const time = new Date(raw);
    return Number.isNaN(time.getTime()) ? [] : time;
  }
  return raw;
}

const UUID_TEXT = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

export async function parseCreateRequest(body: unknown, ctx: AuthedContext, types: VolumeTypesService): Promise<CreateVolumeInput> {
  const req = parseCreateVolume(body, ctx.version.toString());
  if (req.snapshotId || req.sourceVolid || req.backupId || req.imageRef) {
    throw new CodedError(ErrorCode.BadRequest, 'Invalid input received: creating a volume from a snapshot, volume, backup or image is not supported by this deployment.');
  }
  if (req.size === null) throw new CodedError(ErrorCode.BadRequest, GENERIC_BAD_REQUEST_MESSAGE);
  return {
    name: req.name,
    description: req.description,
    size: req.size,
    metadata: req.metadata ?? {},
    volumeType: await types.resolve(req.volumeType, ctx.caller),
    availabilityZone: req.availabilityZone,
  };
}

export function parseUpdateRequest(body: unknown, ctx: AuthedContext): UpdateVolumeInput {
  const req = parseUpdateVolume(body, ctx.version.toString());
  return { name: req.name, description: req.description, metadata: req.metadata ?? undefined };
}
