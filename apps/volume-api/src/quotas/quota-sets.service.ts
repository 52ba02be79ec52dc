import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { QuotaSetChange } from '@volume/api-dtos';
import { effectiveQuotaLimits, type QuotaLimits, type QuotaUsage } from '@volume/domain';
import { destroyProjectQuotas, readProjectQuotas, setProjectQuotas } from '@volume/persistence';
import { API_CONFIG } from '../api-config.token';
import type { ApiConfig } from '../config';
import { quotaDefaultsOf } from './quota.config';

/** A project's quota as os-quota-sets shows it. */
export interface ProjectQuotaSet {
  limits: QuotaLimits;
  usage: QuotaUsage;
}

/**
 * Cinder's os-quota-sets over one project's limits and usage. The project id is taken as given:
 * Cinder does not ask Keystone whether it exists either (a project nobody knows has the defaults).
 */
@Injectable()
export class QuotaSetsService {
  readonly defaults: QuotaLimits;

  constructor(
    private readonly ds: DataSource,
    @Inject(API_CONFIG) config: ApiConfig,
  ) {
    this.defaults = quotaDefaultsOf(config);
  }

  async show(projectId: string): Promise<ProjectQuotaSet> {
    const { own, usage } = await readProjectQuotas(this.ds.manager, projectId);
    return { limits: effectiveQuotaLimits(this.defaults, own), usage };
  }

  /**
   * Stores the changes (all or none) and returns the limits that now bind the project.
   * @throws CodedError(BadRequest) when a limit would be below what the project uses, as Cinder checks it.
   */
  async update(projectId: string, changes: readonly QuotaSetChange[]): Promise<QuotaLimits> {
    await setProjectQuotas(this.ds.manager, projectId, changes);
    return (await this.show(projectId)).limits;
  }

  /** The project's own limits go; the defaults bind it again. */
  delete(projectId: string): Promise<void> {
    return destroyProjectQuotas(this.ds.manager, projectId);
  }
}
