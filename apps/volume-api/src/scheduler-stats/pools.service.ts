import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CapabilitiesFilter, extractHost } from '@volume/domain';
import { PoolEntity, VolumeEntity } from '@volume/persistence';
import { API_CONFIG } from '../api-config.token';
import type { ApiConfig } from '../config';
import type { Caller } from '@volume/auth';
import { extraSpecsOf } from '../types/extra-specs';
import { VolumeTypesService } from '../types/volume-types.service';
import { capabilityEquals, PoolQuery } from './pool-query';
import { poolCapabilitiesView, reportedPool, ReportedPool } from './pool.view-builder';

/** Backends the scheduler has pools of are "up" unless a driver says otherwise, which ours never do. */
const BACKEND_STATE_UP = 'up';

/**
 * The pools the scheduler knows, read from what the workers last reported. A pool whose worker has
 * not reported for two service_down_time periods is gone (its worker stopped or lost it).
 */
@Injectable()
export class PoolsService {
  constructor(
    private readonly ds: DataSource,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    private readonly types: VolumeTypesService,
  ) {}

  /**
   * `GET /scheduler-stats/get_pools`, filtered as the scheduler's host manager filters: by name,
   * by capability values, and by whether the capabilities satisfy a volume type's extra specs.
   * @throws CodedError(NotFound) when the volume type does not exist for the caller.
   */
  async list(caller: Caller, query: PoolQuery): Promise<ReportedPool[]> {
    const pools = await this.reported(query.name);
    const byCapabilities = pools.filter((pool) => {
      const capabilities = poolCapabilitiesView(pool);
      return Object.entries(query.capabilities).every(([key, value]) => capabilityEquals(capabilities[key], value));
    });
    if (query.volumeType === undefined) return byCapabilities;
    const extraSpecs = extraSpecsOf(await this.types.resolve(query.volumeType, caller));
    return byCapabilities.filter((pool) => CapabilitiesFilter.check(pool.stats, { sizeGb: 0, extraSpecs }).passed);
  }

  /** The backend state of every backend (`host@backend`) with pools, for `os-services` from 3.49. */
  async backendStates(): Promise<Map<string, string>> {
    const pools = await this.reported();
    return new Map(pools.map((pool) => [extractHost(pool.stats.host, 'backend') as string, BACKEND_STATE_UP]));
  }

  private async reported(name?: string): Promise<ReportedPool[]> {
    const qb = this.ds
      .getRepository(PoolEntity)
      .createQueryBuilder('p')
      .where('p.updatedAt >= now() - make_interval(secs => :window)', { window: 2 * this.config.SERVICE_DOWN_TIME_S })
      .orderBy('p.name', 'ASC');
    if (name !== undefined) qb.andWhere('p.name = :name', { name });
    const rows = await qb.getMany();
    const allocated = await this.allocatedGb(rows.map((r) => r.name));
    return rows.map((row) => reportedPool(row, allocated.get(row.name) ?? 0));
  }

  /** Capacity given to volumes, per pool: the sum of the sizes of the volumes placed on it. */
  private async allocatedGb(poolNames: string[]): Promise<Map<string, number>> {
    if (poolNames.length === 0) return new Map();
    const rows: { host: string; allocated: string }[] = await this.ds
      .getRepository(VolumeEntity)
      .createQueryBuilder('v')
      .select('v.host', 'host')
      .addSelect('SUM(v.size)', 'allocated')
      .where('v.host IN (:...poolNames)', { poolNames })
      .groupBy('v.host')
      .getRawMany();
    // PostgreSQL's SUM of integers is a bigint, which pg returns as text.
    return new Map(rows.map((r) => [r.host, Number(r.allocated)]));
  }
}
