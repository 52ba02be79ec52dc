import { DynamicModule, Module } from '@nestjs/common';
import { Logger } from 'pino';
import { hostname } from 'node:os';
import { PlatformModule } from '@volume/platform';
import { API_CONFIG } from './api-config.token';
import { AttachmentsController } from './attachments/attachments.controller';
import { AttachmentsService } from './attachments/attachments.service';
import { ComputeRpcClient, SchedulerRpcClient, WorkerRpcClient } from '@volume/rpc-clients';
import { ApiConfig } from './config';
import { HealthController } from './health/health.controller';
import { ServicesController } from './os-services/services.controller';
import { ServicesService } from './os-services/services.service';
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
import { MigrationProgressService } from './volumes/migration-progress/migration-progress.service';
import { ResetStatusAction } from './volumes/reset-status/reset-status.action';
import { ResetStatusService } from './volumes/reset-status/reset-status.service';
import { VolumeDetachingService } from './volumes/volume-detaching.service';
import { VolumesController } from './volumes/volumes.controller';
import { VolumesService } from './volumes/volumes.service';

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
      ],
      providers: [
        { provide: API_CONFIG, useValue: config },
        SchedulerRpcClient,
        WorkerRpcClient,
        ComputeRpcClient,
        VolumesService,
        VolumeActionsService,
        MigrateVolumeAction,
        MigrateVolumeService,
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
      ],
    };
  }
}
