import { DynamicModule, Module } from '@nestjs/common';
import { Logger } from 'pino';
import { hostname } from 'node:os';
import { PlatformModule } from '@volume/platform';
import { API_CONFIG } from './api-config.token';
import { AttachmentsController } from './attachments/attachments.controller';
import { AttachmentsService } from './attachments/attachments.service';
import { ComputeClient } from './clients/compute.client';
import { SchedulerClient } from './clients/scheduler.client';
import { WorkerClient } from './clients/worker.client';
import { ApiConfig } from './config';
import { HealthController } from './health/health.controller';
import { PoolsService } from './infra/pools.service';
import { SchedulerStatsController } from './infra/scheduler-stats.controller';
import { ServicesController } from './infra/services.controller';
import { ServicesService } from './infra/services.service';
import { TypeExtraSpecsController } from './types/type-extra-specs.controller';
import { TypesController } from './types/types.controller';
import { VolumeTypesService } from './types/volume-types.service';
import { VolumeActionsService } from './volumes/volume-actions.service';
import { MigrationCompletionService } from './volumes/migration-completion.service';
import { VolumeAdminActionsService } from './volumes/volume-admin-actions.service';
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
      ],
      providers: [
        { provide: API_CONFIG, useValue: config },
        SchedulerClient,
        WorkerClient,
        ComputeClient,
        VolumesService,
        VolumeActionsService,
        VolumeAdminActionsService,
        MigrationCompletionService,
        VolumeDetachingService,
        AttachmentsService,
        VolumeTypesService,
        PoolsService,
        ServicesService,
      ],
    };
  }
}
