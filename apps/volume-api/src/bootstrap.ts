import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { createLogger, PinoNestLogger } from '@volume/platform';
import { ApiModule } from './api.module';
import { ApiConfig, loadApiConfig } from './config';
import { CinderFaultFilter } from './http/exception.filter';
import { genReqId, installPipeline, rewriteUrl } from './http/pipeline';

/** Cinder's max_request_body_size. */
const MAX_BODY_BYTES = 114_688;

export interface ApiApp {
  app: NestFastifyApplication;
  config: ApiConfig;
}

/** Builds (and initialises, without listening) the HTTP API from an environment; used by main and by tests. */
export async function createApiApp(env: Record<string, string | undefined>): Promise<ApiApp> {
  const config = loadApiConfig(env);
  const logger = createLogger('volume-api', config.LOG_LEVEL);
  const adapter = new FastifyAdapter({
    loggerInstance: logger,
    genReqId,
    rewriteUrl,
    bodyLimit: MAX_BODY_BYTES,
    trustProxy: true,
  });
  const app = await NestFactory.create<NestFastifyApplication>(ApiModule.forRoot(config, logger), adapter, {
    logger: new PinoNestLogger(logger),
    bodyParser: false,
    // A failing start (an unmigrated database, say) rejects with its error, for runMain to print.
    abortOnError: false,
  });
  installPipeline(app.getHttpAdapter().getInstance(), config);
  app.useGlobalFilters(new CinderFaultFilter());
  await app.init();
  return { app, config };
}
