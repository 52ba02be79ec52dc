import { DynamicModule, Module } from '@nestjs/common';
import { Logger } from 'pino';
import { hostname } from 'node:os';
import { PlatformModule } from '@volume/platform';
import { SchedulerClient } from './clients/scheduler.client';
import { WorkerClient } from './clients/worker.client';
import { ApiConfig } from './config';
import { API_CONFIG } from './api-config.token';
import { HealthController } from './health/health.controller';
import { VersionsController } from './versions/versions.controller';
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
      controllers: [VersionsController, HealthController, VolumesController],
      providers: [{ provide: API_CONFIG, useValue: config }, SchedulerClient, WorkerClient, VolumesService],
    };
  }
}
