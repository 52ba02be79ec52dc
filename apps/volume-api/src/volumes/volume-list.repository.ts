import { Brackets, DataSource, SelectQueryBuilder, WhereExpressionBuilder } from 'typeorm';
import { CodedError, ErrorCode } from '@volume/contracts';
import { VolumeEntity } from '@volume/persistence';
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

const COLUMN: Partial<Record<keyof VolumeEntity, string>> = {
  id: 'v.id',
  createdAt: 'v.created_at',
  updatedAt: 'v.updated_at',
  displayName: 'v.display_name',
  displayDescription: 'v.display_description',
  status: 'v.status',
  size: 'v.size',
  availabilityZone: 'v.availability_zone',
  bootable: 'v.bootable',
  migrationStatus: 'v.migration_status',
  groupId: 'v.group_id',
  useQuota: 'v.use_quota',
  host: 'v.host',
  projectId: 'v.project_id',
  userId: 'v.user_id',
  volumeTypeId: 'v.volume_type_id',
  attachStatus: 'v.attach_status',
  multiattach: 'v.multiattach',
  replicationStatus: 'v.replication_status',
  snapshotId: 'v.snapshot_id',
  sourceVolid: 'v.source_volid',
  clusterName: 'v.cluster_name',
};

const TIME_OPS: Record<TimeFilter['op'], string> = { gt: '>', gte: '>=', eq: '=', neq: '<>', lt: '<', lte: '<=' };

function column(property: keyof VolumeEntity): string {
  const c = COLUMN[property];
  if (!c) throw new CodedError(ErrorCode.BadRequest, 'Invalid input received: Invalid sort key');
  return c;
}

/** Lists volumes as Cinder's `volume_get_all(_by_project)`: scope, filters, keyset pages. */
export class VolumeListRepository {
  constructor(private readonly ds: DataSource) {}

  private base(): SelectQueryBuilder<VolumeEntity> {
    return this.ds.getRepository(VolumeEntity).createQueryBuilder('v');
  }

  /** Cinder's `volume_get_all(_by_project)` scope: all tenants and migration targets follow `context.is_admin`. */
  private scope(qb: WhereExpressionBuilder, caller: Caller, spec: VolumeListSpec): void {
    const admin = isContextAdmin(caller);
    if (!(admin && spec.allTenants)) qb.andWhere('v.project_id = :project', { project: caller.projectId });
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
    for (const [key, value] of Object.entries(spec.metadata ?? {})) {
      const pk = `mk${i}`;
      const pv = `mv${i++}`;
      qb.andWhere(`EXISTS (SELECT 1 FROM volume_metadata m WHERE m.volume_id = v.id AND m.key = :${pk} AND m.value = :${pv})`, {
        [pk]: key,
        [pv]: value,
      });
    }
    for (const [prop, filters] of Object.entries(spec.times)) {
      for (const f of filters ?? []) {
        const p = `tm${i++}`;
        qb.andWhere(`${column(prop as keyof VolumeEntity)} ${TIME_OPS[f.op]} :${p}`, { [p]: f.value });
      }
    }
  }

  async list(caller: Caller, spec: VolumeListSpec): Promise<{ items: VolumeEntity[]; count?: number }> {
    const qb = this.base()
      .leftJoinAndSelect('v.metadata', 'meta')
      .leftJoinAndSelect('v.attachments', 'att')
      .leftJoinAndSelect('v.volumeType', 'vt');
    // Page over ids first (joins would multiply rows), then load the page with its relations.
    const idsQb = this.base().select('v.id', 'id');
    idsQb.where('1=1');
    this.scope(idsQb, caller, spec);
    if (spec.marker) await this.afterMarker(idsQb, caller, spec);
    for (const s of spec.sort) idsQb.addOrderBy(column(s.property), s.dir === 'asc' ? 'ASC' : 'DESC', s.dir === 'asc' ? 'NULLS FIRST' : 'NULLS LAST');
    idsQb.limit(spec.limit);
    if (spec.offset) idsQb.offset(spec.offset);
    const ids = (await idsQb.getRawMany<{ id: string }>()).map((r) => r.id);

    let items: VolumeEntity[] = [];
    if (ids.length) {
      const rows = await qb.where('v.id IN (:...ids)', { ids }).getMany();
      const byId = new Map(rows.map((r) => [r.id, r]));
      items = ids.map((id) => byId.get(id)).filter((v): v is VolumeEntity => v !== undefined);
    }
    let count: number | undefined;
    if (spec.withCount) {
      const countQb = this.base().where('1=1');
      this.scope(countQb, caller, spec);
      count = await countQb.getCount();
    }
    return { items, count };
  }

  /** Keyset condition "after the marker row" for any mix of sort directions. */
  private async afterMarker(qb: SelectQueryBuilder<VolumeEntity>, caller: Caller, spec: VolumeListSpec): Promise<void> {
    const marker = UUID.test(spec.marker as string)
      ? await this.ds.getRepository(VolumeEntity).findOne({ where: { id: spec.marker } })
      : null;
    if (!marker || !(isContextAdmin(caller) || marker.projectId === caller.projectId)) {
      throw new CodedError(ErrorCode.NotFound, `Volume ${spec.marker} could not be found.`);
    }
    qb.andWhere(
      new Brackets((outer) => {
        spec.sort.forEach((s, i) => {
          outer.orWhere(
            new Brackets((inner) => {
              for (let j = 0; j < i; j++) {
                const prev = spec.sort[j];
                const v = marker[prev.property];
                const c = column(prev.property);
                if (v === null || v === undefined) inner.andWhere(`${c} IS NULL`);
                else inner.andWhere(`${c} = :mk_eq_${i}_${j}`, { [`mk_eq_${i}_${j}`]: v });
              }
              const v = marker[s.property];
              const c = column(s.property);
              const p = `mk_cmp_${i}`;
              if (s.dir === 'asc') {
                if (v === null || v === undefined) inner.andWhere(`${c} IS NOT NULL`);
                else inner.andWhere(`${c} > :${p}`, { [p]: v });
              } else if (v === null || v === undefined) {
                inner.andWhere('1=0');
              } else {
                inner.andWhere(`(${c} < :${p} OR ${c} IS NULL)`, { [p]: v });
              }
            }),
          );
        });
      }),
    );
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

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}
