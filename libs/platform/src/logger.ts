import { LoggerService } from '@nestjs/common';
import pino, { Logger } from 'pino';

/** Bytes of log lines gathered before one write (~50 access lines of an API under load: one system call, not one per line). */
const STDOUT_BATCH_BYTES = 16 * 1024;
/** Largest single write (sonic-boom's limit, which must exceed the batch). */
const STDOUT_MAX_WRITE_BYTES = 64 * 1024;
/** The longest a line waits in the batch: logs stay near real time on a quiet process. */
const STDOUT_FLUSH_MS = 250;

let stdout: ReturnType<typeof pino.destination> | undefined;

/**
 * The process's stdout for pino: sonic-boom writing synchronously (so that `flush()` before an exit
 * is complete), in batches of STDOUT_BATCH_BYTES or every STDOUT_FLUSH_MS. A line per request at
 * info, written alone, cost the API a system call per line. What is left at exit is written then;
 * a SIGKILL loses at most the last STDOUT_FLUSH_MS of lines. One per process, however many loggers.
 */
function batchedStdout(): ReturnType<typeof pino.destination> {
  if (!stdout) {
    const destination = pino.destination({
      dest: 1,
      sync: true,
      minLength: STDOUT_BATCH_BYTES,
      maxWrite: STDOUT_MAX_WRITE_BYTES,
      periodicFlush: STDOUT_FLUSH_MS,
    });
    process.once('exit', () => {
      try {
        destination.flushSync();
      } catch {
        // stdout already closed: nothing can be written anyway
      }
    });
    stdout = destination;
  }
  return stdout;
}

/** One JSON object per line on stdout; every app names itself in `app`. */
export function createLogger(app: string, level: string, extra: Record<string, unknown> = {}): Logger {
  return pino({ level, base: { app, ...extra }, timestamp: pino.stdTimeFunctions.isoTime }, batchedStdout());
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
