import { BeforeApplicationShutdown, DynamicModule, Inject, Module, OnApplicationBootstrap } from '@nestjs/common';
import { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { APP_IDENTITY, NatsService, PlatformModule, serveHealth } from '@volume/platform';
// Type-only imports: decorator metadata would otherwise reference values that do not exist.
import type { AppIdentity } from '@volume/platform';
import { FileDriver } from './backend/file-driver';
import { WORKER_APP } from './config';
import type { WorkerConfig } from './config';
import { Reconciler } from './reconcile';
import { PoolReporter } from './stats/pool-reporter';
import { VolumeHandlers } from './volume/volume.handlers';
import { VolumeService } from './volume/volume.service';

@Module({})
export class WorkerModule implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    private readonly driver: FileDriver,
    private readonly reconciler: Reconciler,
    private readonly handlers: VolumeHandlers,
    private readonly reporter: PoolReporter,
    private readonly nats: NatsService,
    private readonly ds: DataSource,
    @Inject(APP_IDENTITY) private readonly identity: AppIdentity,
  ) {}

  static forRoot(config: WorkerConfig, logger: Logger): DynamicModule {
    return {
      module: WorkerModule,
      imports: [PlatformModule.forRoot({ identity: { app: WORKER_APP, host: config.VOLUME_HOST }, config, logger })],
      providers: [
        {
          provide: FileDriver,
          useFactory: () =>
            new FileDriver({
              dataDir: config.VOLUME_DATA_DIR,
              pools: config.VOLUME_POOLS,
              poolCapacityGb: config.VOLUME_POOL_CAPACITY_GB,
            }),
        },
        VolumeService,
        VolumeHandlers,
        Reconciler,
        PoolReporter,
      ],
    };
  }

  /**
   * Reconcile runs before the subjects are served, so no request races it; the host reports itself
   * up only once the server knows its subscriptions, so the first request after that finds it.
   */
  async onApplicationBootstrap(): Promise<void> {
    await this.driver.init();
    await this.reconciler.run();
    this.handlers.serve();
    serveHealth(this.identity, this.nats, this.ds);
    await this.nats.connection.flush();
    await this.reporter.start();
  }

  /** Runs before the platform drains NATS, which then waits for the requests still under way. */
  beforeApplicationShutdown(): void {
    this.reporter.stop();
  }
}
