import 'reflect-metadata';
import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createLogger, PinoNestLogger } from '@volume/platform';
import { loadWorkerConfig, WORKER_APP } from './config';
import { WorkerModule } from './worker.module';

/**
 * Builds and starts a worker from the given environment: on return it has reconciled and serves its
 * subjects. `close()` stops it. Used by `main.ts` and by other apps' integration tests.
 */
export async function createWorkerApp(env: Record<string, string | undefined>): Promise<INestApplicationContext> {
  const config = loadWorkerConfig(env);
  const logger = createLogger(WORKER_APP, config.LOG_LEVEL, { host: config.VOLUME_HOST });
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config, logger), {
    logger: new PinoNestLogger(logger),
    // Errors reach the caller instead of ending the process, which a test runner cannot survive.
    abortOnError: false,
  });
  return app.init();
}
