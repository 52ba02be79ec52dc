import { Inject, Injectable } from '@nestjs/common';
import { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { PoolReport, PoolStatsEvent, WorkerSubjects } from '@volume/contracts';
import { APP_CONFIG, LOGGER, NatsService, ServiceHeartbeat } from '@volume/platform';
import { FileDriver } from '../backend/file-driver';
// A type-only import: decorator metadata would otherwise reference a value that does not exist.
import type { WorkerConfig } from '../config';

function round2(gb: number): number {
  return Math.round(gb * 100) / 100;
}

/**
 * This host's periodic reports: its pools' capacities to the schedulers over NATS (Cinder's
 * `update_volume_stats`) and its `services` row, which says the host is up.
 */
@Injectable()
export class PoolReporter {
  private readonly heartbeat: ServiceHeartbeat;
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly nats: NatsService,
    private readonly driver: FileDriver,
    @Inject(APP_CONFIG) private readonly cfg: WorkerConfig,
    @Inject(LOGGER) private readonly log: Logger,
    ds: DataSource,
  ) {
    this.heartbeat = new ServiceHeartbeat(
      ds,
      {
        host: `${cfg.VOLUME_HOST}@${cfg.VOLUME_BACKEND_NAME}`,
        binary: 'cinder-volume',
        topic: 'cinder-volume',
        availabilityZone: cfg.VOLUME_AVAILABILITY_ZONE,
        intervalS: cfg.REPORT_INTERVAL_S,
      },
      log,
    );
  }

  async start(): Promise<void> {
    await this.heartbeat.start();
    await this.reportSafely();
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.heartbeat.stop();
  }

  private async stats(): Promise<PoolStatsEvent> {
    const pools: PoolReport[] = [];
    for (const poolName of this.driver.pools) {
      const { totalGb, freeGb } = await this.driver.capacity(poolName);
      pools.push({
        poolName,
        totalCapacityGb: round2(totalGb),
        freeCapacityGb: round2(freeGb),
        reservedPercentage: this.cfg.VOLUME_RESERVED_PERCENTAGE,
        maxOverSubscriptionRatio: this.cfg.VOLUME_MAX_OVER_SUBSCRIPTION_RATIO,
        thinProvisioningSupport: this.driver.thinProvisioningSupport,
        thickProvisioningSupport: this.driver.thickProvisioningSupport,
        storageProtocol: this.driver.storageProtocol,
        driverVersion: this.driver.driverVersion,
      });
    }
    return {
      serviceHost: this.cfg.VOLUME_HOST,
      backend: `${this.cfg.VOLUME_HOST}@${this.cfg.VOLUME_BACKEND_NAME}`,
      volumeBackendName: this.cfg.VOLUME_BACKEND_NAME,
      availabilityZone: this.cfg.VOLUME_AVAILABILITY_ZONE,
      pools,
      reportedAt: new Date().toISOString(),
    };
  }

  /** A missed report only delays the scheduler's view; the next one catches up. */
  private async reportSafely(): Promise<void> {
    try {
      const stats = await this.stats();
      // Once stopping, the NATS connection may already be draining.
      if (!this.stopped) this.nats.publish(WorkerSubjects.poolStats, stats);
    } catch (err) {
      this.log.warn({ err }, 'pool stats report failed');
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.reportSafely().finally(() => this.schedule()), this.cfg.REPORT_INTERVAL_S * 1000);
    this.timer.unref();
  }
}
