import { parseVolumeListQuery } from '@volume/api-dtos';
import { CodedError, ErrorCode } from '@volume/contracts';
import { isMigrationResourceStatus, MigrationRowStatus, rowStatusesOf } from '@volume/domain';
import { isContextAdmin } from '../http/policy';
import { AuthedContext } from '../http/request-context';
import { lastValues, QueryParams } from '../query-params';

/** What `GET /volume-migrations` filters on, by its query name. */
const FILTERS = ['volume_id', 'status', 'source_host', 'destination_host', 'changes-since'] as const;
/** Paging and scope, parsed as the volume list parses them. */
const PAGING = ['limit', 'marker', 'with_count', 'all_tenants'];

export interface MigrationListQuery {
  limit: number;
  marker: string | null;
  withCount: boolean;
  /** Null: every project's (an admin's all_tenants). */
  projectId: string | null;
  /** A value no row can hold (not a UUID) matches none, as Cinder's filters do. */
  volumeId?: string;
  statuses?: readonly MigrationRowStatus[];
  sourceHost?: string;
  destinationHost?: string;
  changesSince?: Date;
}

function invalidInput(message: string): CodedError {
  return new CodedError(ErrorCode.BadRequest, `Invalid input received: ${message}`);
}

/**
 * The list's query, with Cinder's answers to bad input: an unknown parameter is Cinder's "Invalid
 * filters ... are found in query options." (no column to fall back on here), limit, marker and
 * with_count fail as the volume list's do, and a status or time that means nothing is a 400.
 */
export function parseMigrationListQuery(query: QueryParams, ctx: AuthedContext, maxLimit: number): MigrationListQuery {
  const params = lastValues(query);
  const unknown = Object.keys(params).filter((k) => !PAGING.includes(k) && !(FILTERS as readonly string[]).includes(k));
  if (unknown.length) throw new CodedError(ErrorCode.BadRequest, `Invalid filters ${unknown.join(',')} are found in query options.`);
  const admin = isContextAdmin(ctx.caller);
  const paging = parseVolumeListQuery(pick(params, PAGING), ctx.version.toString(), { isAdmin: admin }, { maxLimit });
  const out: MigrationListQuery = {
    limit: paging.limit,
    marker: paging.marker,
    withCount: paging.withCount,
    projectId: paging.allTenants ? null : ctx.caller.projectId,
  };
  const { volume_id: volumeId, status, source_host: sourceHost, destination_host: destinationHost } = params;
  if (volumeId !== undefined) out.volumeId = volumeId;
  if (status !== undefined) {
    if (!isMigrationResourceStatus(status)) throw invalidInput(`status must be one of running, success, error, cancelling, cancelled, not ${status}`);
    out.statuses = rowStatusesOf(status);
  }
  if (sourceHost !== undefined) out.sourceHost = sourceHost;
  if (destinationHost !== undefined) out.destinationHost = destinationHost;
  const since = params['changes-since'];
  if (since !== undefined) out.changesSince = parseTime(since);
  return out;
}

/** ISO 8601 as Cinder's `timeutils.parse_isotime` takes it; without a zone, UTC. */
function parseTime(raw: string): Date {
  const value = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?([zZ]|[+-]\d\d:?\d\d)?$/.test(raw)
    ? new Date(`${raw}${/([zZ]|[+-]\d\d:?\d\d)$/.test(raw) || raw.length === 10 ? '' : 'Z'}`)
    : undefined;
  if (!value || Number.isNaN(value.getTime())) throw invalidInput(`Invalid changes-since value: ${raw}`);
  return value;
}

function pick(params: Record<string, string>, keys: readonly string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(params).filter(([k]) => keys.includes(k)));
}
