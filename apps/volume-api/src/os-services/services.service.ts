import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ServiceEntity } from '@volume/persistence';
import { API_CONFIG } from '../api-config.token';
import type { ApiConfig } from '../config';
import { PoolsService } from '../scheduler-stats/pools.service';
import { isServiceUp, ServiceStatus, VOLUME_BINARY } from './service.view-builder';

export interface ServiceFilters {
  host?: string;
  binary?: string;
}

/** The running services (one row per host and binary) and whether each is up. */
@Injectable()
export class ServicesService {
  constructor(
    private readonly ds: DataSource,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    private readonly pools: PoolsService,
  ) {}

  /** `GET /os-services`: exact host and binary filters, as Cinder's. */
  async list(filters: ServiceFilters): Promise<ServiceStatus[]> {
    const qb = this.ds.getRepository(ServiceEntity).createQueryBuilder('s').addSelect('now()', 'db_now').orderBy('s.id', 'ASC');
    if (filters.host !== undefined) qb.andWhere('s.host = :host', { host: filters.host });
    if (filters.binary !== undefined) qb.andWhere('s.binary = :binary', { binary: filters.binary });
    const { entities, raw } = await qb.getRawAndEntities<{ db_now: Date }>();
    if (entities.length === 0) return [];
    // Heartbeats stamp updated_at with the database clock; judging by the same clock keeps an
    // API host whose clock drifts from calling live services down.
    const now = raw[0].db_now;
    const backendStates = await this.pools.backendStates();
    return entities.map((service) => ({
      service,
      up: isServiceUp(service, now, this.config.SERVICE_DOWN_TIME_S),
      backendState: service.binary === VOLUME_BINARY ? (backendStates.get(service.host) ?? null) : null,
    }));
  }
}
