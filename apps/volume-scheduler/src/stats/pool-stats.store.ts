import { Inject, Injectable } from '@nestjs/common';
import { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { PoolStatsEvent } from '@volume/contracts';
import { LOGGER } from '@volume/platform';

/**
 * Keeps what workers report in the `pools` table, so that every scheduler replica (and one that just
 * restarted) places from the same numbers. A pool the worker no longer reports is removed.
 */
@Injectable()
export class PoolStatsStore {
  constructor(
    private readonly ds: DataSource,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  async save(report: PoolStatsEvent): Promise<void> {
    const names = report.pools.map((p) => `${report.backend}#${p.poolName}`);
    await this.ds.transaction(async (em) => {
      for (const p of report.pools) {
        const capabilities = {
          reservedPercentage: p.reservedPercentage,
          maxOverSubscriptionRatio: p.maxOverSubscriptionRatio,
          thinProvisioningSupport: p.thinProvisioningSupport,
          thickProvisioningSupport: p.thickProvisioningSupport,
          storageProtocol: p.storageProtocol,
          driverVersion: p.driverVersion,
          volumeBackendName: report.volumeBackendName,
          reportedAt: report.reportedAt,
        };
        await em.query(
          `INSERT INTO pools (name, service_host, availability_zone, total_capacity_gb, free_capacity_gb, capabilities, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, now())
           ON CONFLICT (name) DO UPDATE SET service_host = EXCLUDED.service_host,
             availability_zone = EXCLUDED.availability_zone, total_capacity_gb = EXCLUDED.total_capacity_gb,
             free_capacity_gb = EXCLUDED.free_capacity_gb, capabilities = EXCLUDED.capabilities, updated_at = now()`,
          [`${report.backend}#${p.poolName}`, report.serviceHost, report.availabilityZone, p.totalCapacityGb, p.freeCapacityGb, capabilities],
        );
      }
      await em.query(`DELETE FROM pools WHERE service_host = $1 AND NOT (name = ANY($2))`, [report.serviceHost, names]);
    });
    this.log.debug({ host: report.serviceHost, pools: names }, 'pool stats stored');
  }
}
