import { BeforeApplicationShutdown, DynamicModule, Inject, Module, OnApplicationBootstrap } from '@nestjs/common';
import { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { APP_IDENTITY, LOGGER, NatsService, PlatformModule, serveHealth, ServiceHeartbeat } from '@volume/platform';
import { RpcClientsModule } from '@volume/rpc-clients';
// A type-only import: decorator metadata would otherwise reference a value that does not exist.
import type { AppIdentity } from '@volume/platform';
import { SCHEDULER_APP, type SchedulerConfig } from './config';
import { MigrationHistoryPurge } from './placement/migration-history-purge.service';
import { MigrationPlacementService } from './placement/migration-placement.service';
import { MigrationWatchdog } from './placement/migration-watchdog.service';
import { PlacementService } from './placement/placement.service';
import { SchedulerHandlers } from './scheduler.handlers';
import { PoolStatsStore } from './stats/pool-stats.store';

const SCHEDULER_CONFIG = Symbol('SCHEDULER_CONFIG');

@Module({})
export class SchedulerModule implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private heartbeat?: ServiceHeartbeat;

  constructor(
    private readonly handlers: SchedulerHandlers,
    private readonly placement: PlacementService,
    private readonly watchdog: MigrationWatchdog,
    private readonly purge: MigrationHistoryPurge,
    private readonly nats: NatsService,
    private readonly ds: DataSource,
    @Inject(APP_IDENTITY) private readonly identity: AppIdentity,
    @Inject(SCHEDULER_CONFIG) private readonly config: SchedulerConfig,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  static forRoot(config: SchedulerConfig, logger: Logger): DynamicModule {
    return {
      module: SchedulerModule,
      imports: [PlatformModule.forRoot({ identity: { app: SCHEDULER_APP, host: config.SCHEDULER_HOST }, config, logger }), RpcClientsModule],
      providers: [{ provide: SCHEDULER_CONFIG, useValue: config }, PlacementService, MigrationPlacementService, MigrationWatchdog, MigrationHistoryPurge, PoolStatsStore, SchedulerHandlers],
    };
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.placement.failStaleCreates();
    this.handlers.serve();
    serveHealth(this.identity, this.nats, this.ds);
    await this.nats.connection.flush();
    this.heartbeat = new ServiceHeartbeat(
      this.ds,
      {
        host: this.config.SCHEDULER_HOST,
        binary: 'cinder-scheduler',
        topic: 'cinder-scheduler',
        availabilityZone: this.config.SCHEDULER_AVAILABILITY_ZONE,
        intervalS: this.config.REPORT_INTERVAL_S,
      },
      this.log,
    );
    await this.heartbeat.start();
    this.watchdog.start();
    this.purge.start();
  }

  beforeApplicationShutdown(): void {
    this.heartbeat?.stop();
    this.watchdog.stop();
    this.purge.stop();
  }
}
