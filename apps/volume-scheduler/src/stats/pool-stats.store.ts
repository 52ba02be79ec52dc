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

  /**
   * One statement: the pools' rows are locked for it alone (a placement batch locks them too, and
   * a report every few seconds per worker had held them over five round trips).
   */
  async save(report: PoolStatsEvent): Promise<void> {
    const names = report.pools.map((p) => `${report.backend}#${p.poolName}`);
    const capabilities = report.pools.map((p) => ({
      reservedPercentage: p.reservedPercentage,
      maxOverSubscriptionRatio: p.maxOverSubscriptionRatio,
      thinProvisioningSupport: p.thinProvisioningSupport,
      thickProvisioningSupport: p.thickProvisioningSupport,
      storageProtocol: p.storageProtocol,
      driverVersion: p.driverVersion,
      volumeBackendName: report.volumeBackendName,
      reportedAt: report.reportedAt,
    }));
    await this.ds.query(
      `WITH reported AS (
         INSERT INTO pools (name, service_host, availability_zone, total_capacity_gb, free_capacity_gb, capabilities, updated_at)
         SELECT r.name, $2, $3, r.total, r.free, r.capabilities, now()
           FROM unnest($1::varchar[], $4::float8[], $5::float8[], $6::jsonb[]) AS r(name, total, free, capabilities)
          ORDER BY r.name
         ON CONFLICT (name) DO UPDATE SET service_host = EXCLUDED.service_host,
           availability_zone = EXCLUDED.availability_zone, total_capacity_gb = EXCLUDED.total_capacity_gb,
           free_capacity_gb = EXCLUDED.free_capacity_gb, capabilities = EXCLUDED.capabilities, updated_at = now()
         RETURNING name)
       DELETE FROM pools WHERE service_host = $2 AND NOT (name = ANY($1))`,
      [
        names,
        report.serviceHost,
        report.availabilityZone,
        report.pools.map((p) => p.totalCapacityGb),
        report.pools.map((p) => p.freeCapacityGb),
        capabilities.map((c) => JSON.stringify(c)),
      ],
    );
    this.log.debug({ host: report.serviceHost, pools: names }, 'pool stats stored');
  }
}
