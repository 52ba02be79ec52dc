import { LoggerService } from '@nestjs/common';
import pino, { Logger } from 'pino';

/** One JSON object per line on stdout; every app names itself in `app`. */
export function createLogger(app: string, level: string, extra: Record<string, unknown> = {}): Logger {
  return pino({ level, base: { app, ...extra }, timestamp: pino.stdTimeFunctions.isoTime });
}

/** Nest's start-up chatter, a line per module and per route: debug, not info. */
const STARTUP_CONTEXTS = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer']);

/** Routes Nest's own log calls into pino so that everything an app prints is JSON. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, context?: string) {
    if (context && STARTUP_CONTEXTS.has(context)) this.logger.debug({ context }, String(message));
    else this.logger.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string) {
    this.logger.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string) {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string) {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string) {
    this.logger.trace({ context }, String(message));
  }
}
