import 'reflect-metadata';
import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createLogger, PinoNestLogger } from '@volume/platform';
import { loadNovaBridgeConfig, NOVA_BRIDGE_APP } from './config';
import { NovaBridgeModule } from './nova-bridge.module';

/** Builds and starts nova-bridge from the given environment; used by `main.ts` and by tests. */
export async function createNovaBridgeApp(env: Record<string, string | undefined>): Promise<INestApplicationContext> {
  const config = loadNovaBridgeConfig(env);
  const logger = createLogger(NOVA_BRIDGE_APP, config.LOG_LEVEL, { host: config.NOVA_BRIDGE_HOST });
  const app = await NestFactory.createApplicationContext(NovaBridgeModule.forRoot(config, logger), {
    logger: new PinoNestLogger(logger),
    abortOnError: false,
  });
  return app.init();
}
