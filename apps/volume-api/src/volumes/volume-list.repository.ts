import { DataSource, EntityManager, In, ObjectLiteral, SelectQueryBuilder, WhereExpressionBuilder } from 'typeorm';
import { CodedError, ErrorCode } from '@volume/contracts';
import { VolumeAttachmentEntity, VolumeEntity, VolumeMetadataEntity, VolumeTypeEntity } from '@volume/persistence';
import { Caller } from '@volume/auth';
import { isContextAdmin } from '../http/policy';

export interface SortKey {
  /** Entity property, e.g. `displayName`. */
  property: keyof VolumeEntity;
  dir: 'asc' | 'desc';
}

/** A comparison filter on a timestamp column (3.60 `created_at=gt:...`). */
export interface TimeFilter {
  op: 'gt' | 'gte' | 'eq' | 'neq' | 'lt' | 'lte';
  value: Date;
}

export interface VolumeListSpec {
  limit: number;
  marker?: string;
  offset?: number;
  sort: SortKey[];
  allTenants: boolean;
  withCount: boolean;
  /** Exact-match filters on entity properties. */
  equals: Partial<Record<keyof VolumeEntity, unknown>>;
  /** `name~` style substring filters (3.34). */
  like: Partial<Record<keyof VolumeEntity, string>>;
  metadata?: Record<string, string>;
  times: Partial<Record<'createdAt' | 'updatedAt', TimeFilter[]>>;
}

/** A column the list filters or sorts on; `nullAs`, a constant of its type, where it may be NULL. */
interface ListColumn {
  name: string;
  nullAs?: string;
}

const NO_UUID = `'00000000-0000-0000-0000-000000000000'::uuid`;

const COLUMNS: Partial<Record<keyof VolumeEntity, ListColumn>> = {
  id: { name: 'id' },
  createdAt: { name: 'created_at' },
  updatedAt: { name: 'updated_at', nullAs: `'-infinity'::timestamptz` },
  displayName: { name: 'display_name', nullAs: `''` },
  displayDescription: { name: 'display_description', nullAs: `''` },
  status: { name: 'status' },
  size: { name: 'size' },
  availabilityZone: { name: 'availability_zone' },
  bootable: { name: 'bootable' },
  migrationStatus: { name: 'migration_status', nullAs: `''` },
  groupId: { name: 'group_id', nullAs: NO_UUID },
  useQuota: { name: 'use_quota' },
  host: { name: 'host', nullAs: `''` },
  projectId: { name: 'project_id' },
  userId: { name: 'user_id' },
  volumeTypeId: { name: 'volume_type_id' },
  attachStatus: { name: 'attach_status' },
  multiattach: { name: 'multiattach' },
  replicationStatus: { name: 'replication_status', nullAs: `''` },
  snapshotId: { name: 'snapshot_id', nullAs: NO_UUID },
  sourceVolid: { name: 'source_volid', nullAs: NO_UUID },
  clusterName: { name: 'cluster_name', nullAs: `''` },
};

const TIME_OPS: Record<TimeFilter['op'], string> = { gt: '>', gte: '>=', eq: '=', neq: '<>', lt: '<', lte: '<=' };

function listColumn(property: keyof VolumeEntity): ListColumn {
  const c = COLUMNS[property];
  if (!c) throw new CodedError(ErrorCode.BadRequest, 'Invalid input received: Invalid sort key');
  return c;
}

function column(property: keyof VolumeEntity): string {
  return `v.${listColumn(property).name}`;
}

/** One expression of the ORDER BY, over the statement's aliases, and the same over the marker's row. */
interface SortTerm {
  expr: string;
  marker: string;
  asc: boolean;
}

/** Where a statement reads a column of the volume: `v`, or the copy `m0` holds of it. */
type ColumnSource = (c: ListColumn) => string;

const FROM_VOLUMES: ColumnSource = (c) => `v.${c.name}`;

/** What a volume_metadata row copies of its volume (kept by the VolumeMetadataListOrder migration's triggers). */
const M0_COPIES: Record<string, string> = { id: 'm0.volume_id', created_at: 'm0.volume_created_at', project_id: 'm0.project_id' };

const FROM_METADATA: ColumnSource = (c) => M0_COPIES[c.name] ?? `v.${c.name}`;

/**
 * What a page is ordered by, as expressions that are never NULL: a nullable column `c` becomes
 * `(c IS NOT NULL), COALESCE(c, <constant>)`, which orders exactly as Cinder's `c ASC NULLS FIRST`
 * and `c DESC NULLS LAST` (MySQL's NULL-is-smallest) do. Without NULLs the rows after a marker are
 * one row comparison, which the indexes of the VolumeListIndexes migration answer as a range. The
 * marker's values are read in the same statement, at the database's own precision (microseconds,
 * where a JavaScript Date keeps milliseconds). A repeated expression keeps its first place only.
 */
function sortTerms(sort: readonly SortKey[], source: ColumnSource): SortTerm[] {
  const terms = new Map<string, SortTerm>();
  const over = (at: (c: ListColumn) => string, c: ListColumn) =>
    c.nullAs === undefined ? [at(c)] : [`(${at(c)} IS NOT NULL)`, `COALESCE(${at(c)}, ${c.nullAs})`];
  for (const s of sort) {
    const c = listColumn(s.property);
    const markerExprs = over((m) => `mk.${m.name}`, c);
    over(source, c).forEach((expr, k) => {
      if (!terms.has(expr)) {
        terms.set(expr, { expr, marker: `(SELECT ${markerExprs[k]} FROM volumes mk WHERE mk.id = :marker)`, asc: s.dir === 'asc' });
      }
    });
  }
  return [...terms.values()];
}

/** Lists volumes as Cinder's `volume_get_all(_by_project)`: scope, filters, keyset pages. */
export class VolumeListRepository {
  constructor(private readonly ds: DataSource) {}

  private base(): SelectQueryBuilder<VolumeEntity> {
    return this.ds.getRepository(VolumeEntity).createQueryBuilder('v');
  }

  /**
   * Cinder's `volume_get_all(_by_project)` scope: all tenants and migration targets follow
   * `context.is_admin`. `fromMetadata`: the statement starts from the first metadata pair's rows
   * (`m0`, see `from`), which also say the volume's project.
   */
  private scope(qb: WhereExpressionBuilder, caller: Caller, spec: VolumeListSpec, fromMetadata = false): void {
    const admin = isContextAdmin(caller);
    const source = fromMetadata ? FROM_METADATA : FROM_VOLUMES;
    if (!(admin && spec.allTenants)) qb.andWhere(`${source(listColumn('projectId'))} = :project`, { project: caller.projectId });
    // Members never see the temporary destination rows of migrations.
    if (!admin) qb.andWhere(`(v.migration_status IS NULL OR v.migration_status NOT LIKE 'target:%')`);
    let i = 0;
    for (const [prop, value] of Object.entries(spec.equals)) {
      const p = `eq${i++}`;
      const c = column(prop as keyof VolumeEntity);
      if (value === null) qb.andWhere(`${c} IS NULL`);
      // An empty list is a value no row can hold (see the request's coercion); `IN ()` is no SQL.
      else if (Array.isArray(value) && value.length === 0) qb.andWhere('FALSE');
      else if (Array.isArray(value)) qb.andWhere(`${c} IN (:...${p})`, { [p]: value });
      else qb.andWhere(`${c} = :${p}`, { [p]: value });
    }
    for (const [prop, value] of Object.entries(spec.like)) {
      const p = `lk${i++}`;
      qb.andWhere(`${column(prop as keyof VolumeEntity)} ILIKE :${p}`, { [p]: `%${escapeLike(value as string)}%` });
    }
    Object.entries(spec.metadata ?? {}).forEach(([key, value], k) => {
      const pk = `mk${i}`;
      const pv = `mv${i++}`;
      const pair = { [pk]: key, [pv]: value };
      if (fromMetadata && k === 0) qb.andWhere(`m0.key = :${pk} AND m0.value = :${pv}`, pair);
      else qb.andWhere(`EXISTS (SELECT 1 FROM volume_metadata m WHERE m.volume_id = ${source(listColumn('id'))} AND m.key = :${pk} AND m.value = :${pv})`, pair);
    });
    for (const [prop, filters] of Object.entries(spec.times)) {
      for (const f of filters ?? []) {
        const p = `tm${i++}`;
        qb.andWhere(`${column(prop as keyof VolumeEntity)} ${TIME_OPS[f.op]} :${p}`, { [p]: f.value });
      }
    }
  }

  /**
   * What a page or count reads from. Filtered by metadata, it starts from the first pair's rows in
   * volume_metadata (`m0`): their list indexes hold a pair's volumes by project and created_at, so
   * that a page in the default order is a range of as many index entries, and a count as many as
   * match; from `volumes`, every volume in the order was checked for the pair (~50 for each match
   * of a pair on 2 % of them, 270 ms a page over a million). Volumes (`v`) are joined only when a
   * condition reads them; a volume_metadata row always has its volume (a foreign key) and one row
   * per key (unique), so without them the count is the rows'.
   */
  private from(caller: Caller, spec: VolumeListSpec, fromMetadata: boolean): SelectQueryBuilder<ObjectLiteral> {
    if (!fromMetadata) return this.base().where('1=1');
    const qb = this.ds.createQueryBuilder().from('volume_metadata', 'm0').where('1=1');
    const readsVolumes = !isContextAdmin(caller) || [spec.equals, spec.like, spec.times].some((f) => Object.keys(f).length > 0);
    return readsVolumes ? qb.innerJoin('volumes', 'v', 'v.id = m0.volume_id') : qb;
  }

  /**
   * A page and, with `with_count`, the count: side by side on two connections, so that the answer
   * takes the longer of the two, not their sum (over a million volumes the count alone is ~100 ms).
   * Two statements as in Cinder, each consistent in itself.
   */
  async list(caller: Caller, spec: VolumeListSpec): Promise<{ items: VolumeEntity[]; count?: number }> {
    const page = async (): Promise<VolumeEntity[]> => {
      const ids = (await (await this.pageQuery(caller, spec)).getRawMany<{ id: string }>()).map((r) => r.id);
      return ids.length ? this.load(ids) : [];
    };
    const count = async (): Promise<number | undefined> =>
      spec.withCount ? Number((await this.countQuery(caller, spec).getRawOne<{ count: string }>())?.count ?? 0) : undefined;
    const [items, counted] = await Promise.all([page(), count()]);
    return { items, count: counted };
  }

  /**
   * The volumes of a page in its order, with their type, metadata and attachments, read in one
   * snapshot. Narrow reads rather than one join: joined, PostgreSQL hashed the whole metadata table
   * for a page (a page of 1,000 among a million volumes: 77 ms, 72 of them in that join). And the
   * volumes' rows become entities here, column by column from TypeORM's own metadata, rather than
   * through TypeORM's hydration, which cost 20 ms of the API's 90 ms of CPU a page in a profile.
   */
  private load(ids: string[]): Promise<VolumeEntity[]> {
    return this.ds.transaction('REPEATABLE READ', async (em) => {
      const q = this.itemQueries(em, ids);
      const rows = await q.volumes.getRawMany<Record<string, unknown>>();
      const metadata = await q.metadata.getMany();
      const attachments = await q.attachments.getMany();
      const typeIds = [...new Set(rows.map((r) => r.v_volume_type_id as string))];
      const types = new Map((await em.getRepository(VolumeTypeEntity).findBy({ id: In(typeIds) })).map((t) => [t.id, t]));
      const columns = em.connection.getMetadata(VolumeEntity).columns.map((c) => [c.propertyName, `v_${c.databaseName}`] as const);
      const byId = new Map<string, VolumeEntity>();
      for (const row of rows) {
        const v = new VolumeEntity();
        for (const [property, alias] of columns) (v as unknown as Record<string, unknown>)[property] = row[alias];
        byId.set(v.id, Object.assign(v, { volumeType: types.get(v.volumeTypeId), metadata: [], attachments: [] }));
      }
      for (const m of metadata) byId.get(m.volumeId)?.metadata?.push(m);
      for (const a of attachments) byId.get(a.volumeId)?.attachments?.push(a);
      return ids.map((id) => byId.get(id)).filter((v): v is VolumeEntity => v !== undefined);
    });
  }

  /** What `load` reads for a page. */
  itemQueries(em: EntityManager, ids: string[]) {
    return {
      volumes: em.getRepository(VolumeEntity).createQueryBuilder('v').where('v.id = ANY(:ids)', { ids }),
      metadata: em.getRepository(VolumeMetadataEntity).createQueryBuilder('m').where('m.volume_id = ANY(:ids)', { ids }),
      attachments: em.getRepository(VolumeAttachmentEntity).createQueryBuilder('a').where('a.volume_id = ANY(:ids)', { ids }),
    };
  }

  /**
   * The ids of one page, in order. Paged over ids first (joins would multiply rows); the page is
   * then loaded with its relations. The queries are public so that a test can EXPLAIN them.
   */
  async pageQuery(caller: Caller, spec: VolumeListSpec): Promise<SelectQueryBuilder<ObjectLiteral>> {
    // The metadata's list indexes hold volumes by created_at (then id) only; other orders read volumes' own.
    const fromMetadata = hasMetadata(spec) && spec.sort.every((s) => s.property === 'createdAt' || s.property === 'id');
    const source = fromMetadata ? FROM_METADATA : FROM_VOLUMES;
    const qb = this.from(caller, spec, fromMetadata).select(source(listColumn('id')), 'id');
    this.scope(qb, caller, spec, fromMetadata);
    const terms = sortTerms(spec.sort, source);
    if (spec.marker) await this.afterMarker(qb, caller, spec.marker, terms);
    for (const t of terms) qb.addOrderBy(t.expr, t.asc ? 'ASC' : 'DESC');
    qb.limit(spec.limit);
    if (spec.offset) qb.offset(spec.offset);
    return qb;
  }

  /** `with_count`: every volume the filters match, without the page. COUNT(*), never TypeORM's COUNT(DISTINCT id). */
  countQuery(caller: Caller, spec: VolumeListSpec): SelectQueryBuilder<ObjectLiteral> {
    const qb = this.from(caller, spec, hasMetadata(spec)).select('COUNT(*)', 'count');
    this.scope(qb, caller, spec, hasMetadata(spec));
    return qb;
  }

  /** Keyset condition "after the marker row", over the page's sort terms. */
  private async afterMarker(qb: SelectQueryBuilder<ObjectLiteral>, caller: Caller, markerId: string, terms: SortTerm[]): Promise<void> {
    const marker = UUID.test(markerId)
      ? await this.ds.getRepository(VolumeEntity).findOne({ select: { id: true, projectId: true }, where: { id: markerId } })
      : null;
    if (!marker || !(isContextAdmin(caller) || marker.projectId === caller.projectId)) {
      throw new CodedError(ErrorCode.NotFound, `Volume ${markerId} could not be found.`);
    }
    qb.setParameter('marker', marker.id);
    const asc = terms[0].asc;
    const run = terms.findIndex((t) => t.asc !== asc);
    const rowCompare = (ts: SortTerm[], op: string) => `(${ts.map((t) => t.expr).join(', ')}) ${op} (${ts.map((t) => t.marker).join(', ')})`;
    if (run < 0) {
      qb.andWhere(rowCompare(terms, asc ? '>' : '<'));
      return;
    }
    // Mixed directions are no one row comparison: after the marker is "equal up to term i, then
    // past it", for some i. The leading terms of one direction still bound the index range.
    qb.andWhere(rowCompare(terms.slice(0, run), asc ? '>=' : '<='));
    const past = (t: SortTerm) => `${t.expr} ${t.asc ? '>' : '<'} ${t.marker}`;
    const after = terms.map((t, i) => [...terms.slice(0, i).map((p) => `${p.expr} = ${p.marker}`), past(t)].join(' AND '));
    qb.andWhere(`(${after.map((x) => `(${x})`).join(' OR ')})`);
  }

  async summary(caller: Caller, allTenants: boolean): Promise<{ count: number; size: number; metadata: Record<string, string[]> }> {
    const qb = this.base().select('COUNT(*)', 'count').addSelect('COALESCE(SUM(v.size), 0)', 'size').where('1=1');
    const spec: VolumeListSpec = { limit: 0, sort: [], allTenants, withCount: false, equals: {}, like: {}, times: {} };
    this.scope(qb, caller, spec);
    const row = await qb.getRawOne<{ count: string; size: string }>();
    const mqb = this.ds
      .createQueryBuilder()
      .select('m.key', 'key')
      .addSelect('array_agg(DISTINCT m.value ORDER BY m.value)', 'values')
      .from('volume_metadata', 'm')
      .innerJoin('volumes', 'v', 'v.id = m.volume_id')
      .where('1=1')
      .groupBy('m.key');
    this.scope(mqb, caller, spec);
    const metadata: Record<string, string[]> = {};
    for (const r of await mqb.getRawMany<{ key: string; values: string[] }>()) metadata[r.key] = r.values;
    return { count: Number(row?.count ?? 0), size: Number(row?.size ?? 0), metadata };
  }
}

export const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

function hasMetadata(spec: VolumeListSpec): boolean {
  return Object.keys(spec.metadata ?? {}).length > 0;
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}
