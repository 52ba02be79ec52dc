import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { createLogger, PinoNestLogger } from '@volume/platform';
import { createAuthenticator } from '@volume/auth';
import { ApiModule } from './api.module';
import { ApiConfig, loadApiConfig } from './config';
import { CinderFaultFilter } from './http/exception.filter';
import { installRequestHooks, MAX_URL_LENGTH, rewriteUrl } from './http/request-hooks';
import { installPolicy } from './http/policy';
import { genReqId } from './http/request-id';
import { AccessLog, requestLogger } from './http/access-log';
import { answerClientError, answerConnect, answerFrameworkError } from './http/transport-errors';
import { serverTimeouts } from './http/server-timeouts';
import { installShowVolumeRoute } from './volumes/show-volume.route';
import { installConsoleFiles } from './console/console-files';

// What a whole-stack spec calls beside HTTP (the prepared statement of a volume read): this file is
// the only door into the app from outside.
export type { Caller } from '@volume/auth';
export { volumeQuery, VolumesService } from './volumes/volumes.service';

/** Cinder's max_request_body_size. */
const MAX_BODY_BYTES = 114_688;

export interface ApiApp {
  app: NestFastifyApplication;
  config: ApiConfig;
}

/** Builds (and initialises, without listening) the HTTP API from an environment; used by main and by tests. */
export async function createApiApp(env: Record<string, string | undefined>): Promise<ApiApp> {
  const config = loadApiConfig(env);
  installPolicy(config);
  const logger = createLogger('volume-api', config.LOG_LEVEL);
  const timeouts = serverTimeouts(config);
  const adapter = new FastifyAdapter({
    ...timeouts,
    loggerInstance: logger,
    logController: new AccessLog(logger),
    childLoggerFactory: requestLogger,
    genReqId,
    rewriteUrl,
    bodyLimit: MAX_BODY_BYTES,
    trustProxy: true,
    // Cinder answers an HTTP/1.1 request without Host; Node's own refusal would carry no fault body.
    http: { ...timeouts.http, requireHostHeader: false },
    // No Nest middleware here: without middie, no hook of its runs on every request.
    skipMiddie: true,
    // Refusals before routing are Cinder's faults too, not Fastify's or Node's own bodies.
    clientErrorHandler: answerClientError,
    frameworkErrors: answerFrameworkError,
    // A long id is "not found" (Cinder's answer), not a refusal of the URL, up to the URL's own limit.
    routerOptions: { maxParamLength: MAX_URL_LENGTH },
  });
  const app = await NestFactory.create<NestFastifyApplication>(ApiModule.forRoot(config, logger), adapter, {
    logger: new PinoNestLogger(logger),
    bodyParser: false,
    // A failing start (an unmigrated database, say) rejects with its error, for runMain to print.
    abortOnError: false,
  });
  const fastify = app.getHttpAdapter().getInstance();
  fastify.server.on('connect', answerConnect);
  // A client that half-closes after its request still wants the answer (RFC 9112: a half-close
  // neither ends a request nor says the client lost interest), and Cinder's server gives it; Node's
  // default drops such a request unanswered. A request cut short by the half-close still gets its 400.
  Object.assign(fastify.server, { httpAllowHalfOpen: true });
  // Every /v3 request is authenticated through it; it stops (and forgets its tokens) with the server.
  const authenticator = createAuthenticator(config, logger);
  fastify.addHook('onClose', () => authenticator.close());
  installRequestHooks(fastify, config, authenticator);
  installShowVolumeRoute(app);
  installConsoleFiles(fastify, config.CONSOLE_DIR, logger);
  app.useGlobalFilters(new CinderFaultFilter());
  // A start that fails after the connections opened (NATS without JetStream, say) closes them again.
  await app.init().catch(async (err: unknown) => {
    await app.close().catch(() => undefined);
    throw err;
  });
  return { app, config };
}
