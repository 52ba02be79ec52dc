import { DynamicModule, Module } from '@nestjs/common';
import { Logger } from 'pino';
import { hostname } from 'node:os';
import { PlatformModule } from '@volume/platform';
import { API_CONFIG } from './api-config.token';
import { AttachmentsController } from './attachments/attachments.controller';
import { AttachmentsService } from './attachments/attachments.service';
import { ConsoleController } from './console/console.controller';
import { ComputeRpcClient, SchedulerRpcClient, WorkerRpcClient } from '@volume/rpc-clients';
import { ApiConfig } from './config';
import { HealthController } from './health/health.controller';
import { ServicesController } from './os-services/services.controller';
import { ServicesService } from './os-services/services.service';
import { BackgroundCalls } from './shutdown/background-calls';
import { QuotaSetsController } from './quotas/quota-sets.controller';
import { QuotaSetsService } from './quotas/quota-sets.service';
import { PoolsService } from './scheduler-stats/pools.service';
import { SchedulerStatsController } from './scheduler-stats/scheduler-stats.controller';
import { TypeExtraSpecsController } from './types/type-extra-specs.controller';
import { TypesController } from './types/types.controller';
import { VolumeTypesService } from './types/volume-types.service';
import { VolumeActionsService } from './volumes/volume-actions.service';
import { MigrationCompletionService } from './volumes/migration-completion.service';
import { MigrateVolumeAction } from './volumes/migrate-volume/migrate-volume.action';
import { MigrateVolumeService } from './volumes/migrate-volume/migrate-volume.service';
import { MigrationBandwidthService } from './volumes/migration-control/migration-bandwidth.service';
import { MigrationCancelService } from './volumes/migration-control/migration-cancel.service';
import { MigrationControlActions } from './volumes/migration-control/migration-control.actions';
import { MigrationProgressService } from './volumes/migration-progress/migration-progress.service';
import { ResetStatusAction } from './volumes/reset-status/reset-status.action';
import { ResetStatusService } from './volumes/reset-status/reset-status.service';
import { VolumeDetachingService } from './volumes/volume-detaching.service';
import { VolumesController } from './volumes/volumes.controller';
import { VolumesService } from './volumes/volumes.service';
import { VolumeReadCache } from './volumes/volume-read-cache';
import { LiveMigrationFigures } from './volume-migrations/live-migration-figures.service';
import { MigrationEstimateService } from './volume-migrations/migration-estimate.service';
import { VolumeMigrationsController } from './volume-migrations/volume-migrations.controller';
import { VolumeMigrationsRepository } from './volume-migrations/volume-migrations.repository';
import { MigrationEventFeed } from './volume-migrations/events/migration-event-feed.service';
import { MigrationEventRelay } from './volume-migrations/events/migration-event-relay.service';
import { MigrationEventStreams } from './volume-migrations/events/migration-event-streams.service';
import { NotificationStream } from './volume-migrations/events/notification-stream.service';
import { VolumeMigrationEventsController } from './volume-migrations/events/volume-migration-events.controller';

@Module({})
export class ApiModule {
  static forRoot(config: ApiConfig, logger: Logger): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        PlatformModule.forRoot({ identity: { app: 'volume-api', host: hostname() }, config, logger, dbPoolSize: 20 }),
      ],
      controllers: [
        HealthController,
        VolumesController,
        AttachmentsController,
        TypesController,
        TypeExtraSpecsController,
        SchedulerStatsController,
        ServicesController,
        QuotaSetsController,
        VolumeMigrationEventsController,
        VolumeMigrationsController,
        ConsoleController,
      ],
      providers: [
        { provide: API_CONFIG, useValue: config },
        BackgroundCalls,
        SchedulerRpcClient,
        WorkerRpcClient,
        ComputeRpcClient,
        VolumesService,
        VolumeReadCache,
        VolumeActionsService,
        MigrateVolumeAction,
        MigrateVolumeService,
        MigrationControlActions,
        MigrationCancelService,
        MigrationBandwidthService,
        ResetStatusAction,
        ResetStatusService,
        MigrationProgressService,
        MigrationCompletionService,
        VolumeDetachingService,
        AttachmentsService,
        VolumeTypesService,
        PoolsService,
        ServicesService,
        QuotaSetsService,
        VolumeMigrationsRepository,
        LiveMigrationFigures,
        MigrationEstimateService,
        NotificationStream,
        MigrationEventRelay,
        MigrationEventFeed,
        MigrationEventStreams,
      ],
    };
  }
}
