import { FastifyBaseLogger, FastifyReply, FastifyRequest, LogController } from 'fastify';
import type { Bindings, ChildLoggerOptions, Logger } from 'pino';

/**
 * One access line per request, at info, when it is answered, as Cinder's WSGI server writes one:
 * Fastify's default writes two (the request when it arrives, with its whole description, then the
 * answer), which on a busy API was a large part of the cost of logging. The line keeps Fastify's
 * field names (the request id, `req`, `res`, `responseTime`); its other lines (errors) are Fastify's.
 */
export class AccessLog extends LogController {
  /** `logger`: the app's, which writes the line with the request id itself (no request logger made for it). */
  constructor(private readonly logger: Logger) {
    super();
  }

  override incomingRequest(): void {
    // The request is in the line of its answer.
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error || this.isLogDisabled(request)) {
      super.requestCompleted(error, request, reply);
      return;
    }
    // Below info the line's fields are not even gathered.
    if (!this.logger.isLevelEnabled('info')) return;
    this.logger.info(
      {
        [this.requestIdLogLabel]: request.id,
        req: { method: request.method, url: request.originalUrl, remoteAddress: request.ip },
        res: { statusCode: reply.statusCode },
        responseTime: reply.elapsedTime,
      },
      'request completed',
    );
  }
}

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/**
 * `request.log`: pino's child with the request id, made the first time the request logs a line of
 * an enabled level. Fastify makes one per request, and a pino child is not free (its bindings are
 * formatted, its level methods bound), while most requests log nothing but their access line.
 */
class RequestLogger implements FastifyBaseLogger {
  private made?: FastifyBaseLogger;

  constructor(
    private readonly parent: Logger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  get level(): string {
    return this.made?.level ?? this.options.level ?? this.parent.level;
  }

  set level(level: string) {
    this.logger().level = level;
  }

  fatal(...args: unknown[]): void {
    this.log('fatal', args);
  }
  error(...args: unknown[]): void {
    this.log('error', args);
  }
  warn(...args: unknown[]): void {
    this.log('warn', args);
  }
  info(...args: unknown[]): void {
    this.log('info', args);
  }
  debug(...args: unknown[]): void {
    this.log('debug', args);
  }
  trace(...args: unknown[]): void {
    this.log('trace', args);
  }
  silent(): void {
    // pino's silent level writes nothing
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.logger().child(bindings, options);
  }

  private logger(): FastifyBaseLogger {
    return (this.made ??= this.parent.child(this.bindings, this.options));
  }

  private log(level: Level, args: unknown[]): void {
    // With a level of its own (a route's logLevel) the child decides; else the app's level does, without one.
    if (!this.made && this.options.level === undefined && !this.parent.isLevelEnabled(level)) return;
    (this.logger()[level] as (...a: unknown[]) => void)(...args);
  }
}

/** Fastify's `childLoggerFactory`: a RequestLogger instead of a pino child made up front. */
export function requestLogger(logger: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
  return new RequestLogger(logger as Logger, bindings, options);
}
