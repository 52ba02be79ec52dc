import { BeforeApplicationShutdown, DynamicModule, Inject, Module, OnApplicationBootstrap } from '@nestjs/common';
import { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { APP_IDENTITY, LOGGER, NatsService, PlatformModule, serveHealth } from '@volume/platform';
import { RpcClientsModule } from '@volume/rpc-clients';
// Type-only imports: decorator metadata would otherwise reference values that do not exist.
import type { AppIdentity } from '@volume/platform';
import { FileDriver } from './backend/file-driver';
import { WORKER_APP } from './config';
import type { WorkerConfig } from './config';
import { MigrationDataServer } from './copy/data-server';
import { MigrationCompletion } from './migration/completion/migration-completion.service';
import { ComputeHandover } from './migration/compute-handover/compute-handover.service';
import { DriverMove } from './migration/driver-move/driver-move.service';
import { MigrationFailure } from './migration/failure/migration-failure.service';
import { HostCopy } from './migration/host-copy/host-copy.service';
import { MigrationHandlers } from './migration/migration.handlers';
import { MigrationRunner } from './migration/migration-runner.service';
import { ProgressRegistry } from './migration/progress-registry';
import { ResumeMigrations } from './migration/resume/resume-migrations.service';
import { TargetSweep } from './migration/target-sweep/target-sweep.service';
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
    private readonly migrations: MigrationHandlers,
    private readonly runner: MigrationRunner,
    private readonly resume: ResumeMigrations,
    private readonly dataServer: MigrationDataServer,
    private readonly targetSweep: TargetSweep,
    private readonly nats: NatsService,
    private readonly ds: DataSource,
    @Inject(APP_IDENTITY) private readonly identity: AppIdentity,
  ) {}

  static forRoot(config: WorkerConfig, logger: Logger): DynamicModule {
    return {
      module: WorkerModule,
      imports: [PlatformModule.forRoot({ identity: { app: WORKER_APP, host: config.VOLUME_HOST }, config, logger }), RpcClientsModule],
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
        {
          provide: MigrationDataServer,
          useFactory: (log: Logger) =>
            new MigrationDataServer({
              host: config.VOLUME_DATA_BIND,
              port: config.VOLUME_DATA_PORT,
              advertiseHost: config.VOLUME_DATA_ADVERTISE_HOST,
              directIo: config.VOLUME_COPY_DIRECT_IO,
              log,
            }),
          inject: [LOGGER],
        },
        VolumeService,
        VolumeHandlers,
        Reconciler,
        PoolReporter,
        ProgressRegistry,
        DriverMove,
        ComputeHandover,
        MigrationFailure,
        MigrationCompletion,
        HostCopy,
        MigrationRunner,
        ResumeMigrations,
        TargetSweep,
        MigrationHandlers,
      ],
    };
  }

  /**
   * Reconcile and the driver moves' recovery run before the subjects are served, so no request
   * races them; the host reports itself up only once the server knows its subscriptions, so the
   * first request after that finds it.
   */
  async onApplicationBootstrap(): Promise<void> {
    await this.driver.init();
    await this.reconciler.run();
    await this.resume.finishDriverMoves();
    await this.dataServer.start();
    this.targetSweep.start();
    this.reconciler.start();
    this.handlers.serve();
    this.migrations.serve();
    serveHealth(this.identity, this.nats, this.ds);
    await this.nats.connection.flush();
    await this.reporter.start();
    await this.resume.resumeInterrupted();
  }

  /** Runs before the platform drains NATS, which then waits for the requests still under way. */
  async beforeApplicationShutdown(): Promise<void> {
    this.reporter.stop();
    this.targetSweep.stop();
    this.reconciler.stop();
    // Copies stop at their next block and keep their checkpoints; NATS drain then waits for them.
    this.runner.stopAll();
    await this.dataServer.stop();
  }
}
