import 'reflect-metadata';
import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createLogger, PinoNestLogger } from '@volume/platform';
import { loadSchedulerConfig, SCHEDULER_APP } from './config';
import { SchedulerModule } from './scheduler.module';

/** Builds and starts a scheduler from the given environment; used by `main.ts` and by integration tests. */
export async function createSchedulerApp(env: Record<string, string | undefined>): Promise<INestApplicationContext> {
  const config = loadSchedulerConfig(env);
  const logger = createLogger(SCHEDULER_APP, config.LOG_LEVEL, { host: config.SCHEDULER_HOST });
  const app = await NestFactory.createApplicationContext(SchedulerModule.forRoot(config, logger), {
    logger: new PinoNestLogger(logger),
    abortOnError: false,
  });
  return app.init();
}
