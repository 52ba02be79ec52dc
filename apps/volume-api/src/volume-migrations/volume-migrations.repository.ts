import { Injectable } from '@nestjs/common';
import { DataSource, SelectQueryBuilder } from 'typeorm';
import { CodedError, ErrorCode } from '@volume/contracts';
import { FINISHED_MIGRATION_STATUSES } from '@volume/domain';
import type { RateHistory } from '@volume/domain';
import { VolumeMigrationEntity } from '@volume/persistence';
import { UUID } from '../volumes/volume-list.repository';
import { MigrationListQuery } from './volume-migration-query';

/** A migration's row (it carries the percent last shown, with its bytes). */
export interface MigrationRecord {
  row: VolumeMigrationEntity;
}

export function migrationNotFound(id: string): CodedError {
  return new CodedError(ErrorCode.NotFound, `Volume migration ${id} could not be found.`);
}

/** `host`, `host@backend` or `host@backend#pool`: a filter names a host at any of its levels. */
const HOST_MATCH = (column: string, param: string) =>
  `(${column} = :${param} OR split_part(${column}, '#', 1) = :${param} OR split_part(${column}, '@', 1) = :${param})`;

/** The `volume_migrations` rows of 3.73's resource: newest first, keyset pages, the caller's project unless all_tenants. */
@Injectable()
export class VolumeMigrationsRepository {
  constructor(private readonly ds: DataSource) {}

  private base(): SelectQueryBuilder<VolumeMigrationEntity> {
    return this.ds.getRepository(VolumeMigrationEntity).createQueryBuilder('m');
  }

  /** @throws CodedError(NotFound) when there is no such migration in `projectId` (null: any). */
  async get(id: string, projectId: string | null): Promise<MigrationRecord> {
    if (!UUID.test(id)) throw migrationNotFound(id);
    const qb = this.base().where('m.id = :id', { id });
    if (projectId !== null) qb.andWhere('m.project_id = :project', { project: projectId });
    const [record] = await records(qb);
    if (!record) throw migrationNotFound(id);
    return record;
  }

  async list(q: MigrationListQuery): Promise<{ items: MigrationRecord[]; count?: number }> {
    const page = this.filtered(this.base(), q);
    if (q.marker !== null) {
      // The marker's row must be one the caller could list: else it is "not found", as a volume's.
      await this.get(q.marker, q.projectId);
      page.andWhere('(m.started_at, m.id) < (SELECT mk.started_at, mk.id FROM volume_migrations mk WHERE mk.id = :marker)', { marker: q.marker });
    }
    page.orderBy('m.started_at', 'DESC').addOrderBy('m.id', 'DESC').limit(q.limit);
    const items = await records(page);
    if (!q.withCount) return { items };
    const counted = this.filtered(this.ds.getRepository(VolumeMigrationEntity).createQueryBuilder('m').select('COUNT(*)', 'count'), q);
    return { items, count: Number((await counted.getRawOne<{ count: string }>())?.count ?? 0) };
  }

  /**
   * Finished migrations whose final event is not on the notification stream yet, with when they
   * ended (epoch ms): what the event relay publishes on taking over (a partial index holds them).
   */
  async unrelayedEndings(): Promise<{ id: string; status: string; at: number }[]> {
    const rows: { id: string; status: string; at: string }[] = await this.ds.query(
      `SELECT id, status, floor(extract(epoch FROM COALESCE(finished_at, updated_at)) * 1000)::bigint AS at FROM volume_migrations
        WHERE NOT end_relayed AND status = ANY($1)`,
      [FINISHED_MIGRATION_STATUSES],
    );
    return rows.map((r) => ({ ...r, at: Number(r.at) }));
  }

  /** The migration's final event is on the stream (a write the change trigger does not announce). */
  async markEndingRelayed(id: string): Promise<void> {
    await this.ds.query(`UPDATE volume_migrations SET end_relayed = true WHERE id = $1 AND NOT end_relayed`, [id]);
  }

  private filtered<T extends SelectQueryBuilder<VolumeMigrationEntity>>(qb: T, q: MigrationListQuery): T {
    qb.where('1=1');
    if (q.projectId !== null) qb.andWhere('m.project_id = :project', { project: q.projectId });
    // A volume id no row can hold matches none (Cinder's filters), rather than failing the cast.
    if (q.volumeId !== undefined) qb.andWhere(UUID.test(q.volumeId) ? 'm.volume_id = :volumeId' : 'FALSE', { volumeId: q.volumeId });
    if (q.statuses) qb.andWhere('m.status IN (:...statuses)', { statuses: q.statuses });
    if (q.sourceHost !== undefined) qb.andWhere(HOST_MATCH('m.source_host', 'sourceHost'), { sourceHost: q.sourceHost });
    if (q.destinationHost !== undefined) qb.andWhere(HOST_MATCH('m.dest_host', 'destHost'), { destHost: q.destinationHost });
    if (q.changesSince) qb.andWhere('m.updated_at >= :since', { since: q.changesSince });
    return qb;
  }
}

/** How many recent copies of a scope the estimate averages: recent enough to reflect the hosts as they are now. */
const RECENT_COPIES = 10;

/**
 * What recent successful host copies to `destBackend` (from `sourceBackend`; null: from anywhere)
 * achieved: their bytes read and durations, summed (the estimate's RateHistory). Backends
 * (`host@backend`), not pools: a copy's cost is the two services' disks and network. Only copies
 * that never ran under a limit of their own (`own_limit_seen`: not at the start, not for a while
 * by os-migrate_volume_set_bandwidth): a throttled copy's rate is its limit's, not the hosts'. The
 * host's VOLUME_COPY_BPS_LIMIT was over them all, as it is over the next one.
 */
export async function recentCopyRates(ds: DataSource, destBackend: string, sourceBackend: string | null): Promise<RateHistory> {
  const [row]: { migrations: number; read: string; seconds: number }[] = await ds.query(
    `SELECT count(*)::int AS migrations, COALESCE(sum(read_bytes), 0)::bigint AS read,
            COALESCE(sum(extract(epoch FROM finished_at - started_at)), 0)::float8 AS seconds
       FROM (SELECT read_bytes, started_at, finished_at FROM volume_migrations
              WHERE status = 'success' AND mode = 'host-assisted' AND read_bytes > 0 AND finished_at IS NOT NULL AND NOT own_limit_seen
                AND split_part(dest_host, '#', 1) = $1 AND ($2::text IS NULL OR split_part(source_host, '#', 1) = $2)
              ORDER BY finished_at DESC LIMIT $3) recent`,
    [destBackend, sourceBackend, RECENT_COPIES],
  );
  return { migrations: row.migrations, readBytes: Number(row.read), seconds: row.seconds };
}

async function records(qb: SelectQueryBuilder<VolumeMigrationEntity>): Promise<MigrationRecord[]> {
  return (await qb.getMany()).map((row) => ({ row }));
}
