import {
  BeforeApplicationShutdown,
  DynamicModule,
  Global,
  Inject,
  Injectable,
  Module,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { createDataSource, pendingMigrations } from '@volume/persistence';
import { ConfigError } from './config';
import { healthReport } from './health';
import { HealthServer } from './health-server';
import { MetricsRegistry, processMetrics } from './metrics';
import { NatsService } from './nats.service';
import { NatsAuthConfig } from './nats-auth';

export const APP_CONFIG = Symbol('APP_CONFIG');
export const LOGGER = Symbol('LOGGER');
export const APP_IDENTITY = Symbol('APP_IDENTITY');

export interface AppIdentity {
  /** App name, e.g. `volume-worker`. */
  app: string;
  /** Service host, e.g. `host-a`. */
  host: string;
}

export interface PlatformOptions {
  identity: AppIdentity;
  config: { DATABASE_URL: string; NATS_URL: string; NATS_SUBJECT_PREFIX: string; HEALTH_PORT?: number; HEALTH_HOST?: string } & NatsAuthConfig;
  logger: Logger;
  dbPoolSize?: number;
}

/**
 * Starts the health server (when `HEALTH_PORT` > 0; it also serves the app's `/metrics`) and closes the shared connections last, after
 * the app's own services stopped taking work. The platform is a global module, so Nest runs its
 * bootstrap hook before the app's and its shutdown hooks after the app's.
 */
@Injectable()
class PlatformLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private health?: HealthServer;

  constructor(
    private readonly nats: NatsService,
    private readonly ds: DataSource,
    @Inject(LOGGER) private readonly log: Logger,
    @Inject(APP_CONFIG) private readonly config: PlatformOptions['config'],
    @Inject(APP_IDENTITY) private readonly identity: AppIdentity,
    private readonly metrics: MetricsRegistry,
  ) {
    metrics.register(processMetrics(identity));
  }

  async onApplicationBootstrap(): Promise<void> {
    const port = this.config.HEALTH_PORT ?? 0;
    if (port <= 0) return;
    this.health = await HealthServer.start({
      port,
      host: this.config.HEALTH_HOST,
      log: this.log,
      metrics: () => this.metrics.render(),
      readiness: async () => {
        const { app, host, status, checks } = await healthReport(this.identity, this.nats, this.ds);
        return { ok: status === 'ok', checks, details: { app, host } };
      },
    });
  }

  beforeApplicationShutdown(): void {
    this.health?.markStopping();
  }

  async onApplicationShutdown(signal?: string): Promise<void> {
    this.log.info({ signal }, 'closing NATS and PostgreSQL connections');
    try {
      await this.nats.drain().catch((err) => this.log.warn({ err }, 'NATS drain failed'));
      if (this.ds.isInitialized) await this.ds.destroy();
    } finally {
      // Last: liveness keeps answering while the app drains.
      await this.health?.close();
    }
  }
}

/** Config, logger, one NATS connection and one PostgreSQL pool per app. */
@Global()
@Module({})
export class PlatformModule {
  static forRoot(opts: PlatformOptions): DynamicModule {
    return {
      module: PlatformModule,
      providers: [
        { provide: APP_CONFIG, useValue: opts.config },
        { provide: APP_IDENTITY, useValue: opts.identity },
        { provide: LOGGER, useValue: opts.logger },
        {
          provide: NatsService,
          // After the database is known good (`inject`), so that an app that cannot start leaves no
          // broker connection open behind it.
          useFactory: () =>
            NatsService.connect(
              opts.config.NATS_URL,
              `${opts.identity.app}:${opts.identity.host}`,
              opts.logger,
              opts.config.NATS_SUBJECT_PREFIX,
              opts.config,
            ),
          inject: [DataSource],
        },
        {
          provide: DataSource,
          useFactory: async () => {
            const ds = createDataSource({
              url: opts.config.DATABASE_URL,
              poolSize: opts.dbPoolSize,
              applicationName: `${opts.identity.app}:${opts.identity.host}`,
              onConnectionError: (err) => opts.logger.warn({ err: err.message }, 'a PostgreSQL connection failed; the pool replaces it'),
            });
            await ds.initialize();
            // An app on an older schema would fail on its first query, with a message about a table.
            const pending = await pendingMigrations(ds).catch(async (err: unknown) => {
              await ds.destroy().catch(() => undefined);
              throw err;
            });
            if (pending.length > 0) {
              await ds.destroy();
              throw new ConfigError(opts.identity.app, [
                `the database at DATABASE_URL lacks ${pending.length} migration(s) (${pending.join(', ')}): apply them first with ` +
                  '`npm run migrate`, or `node dist/apps/volume-api/main.js migrate` (in the image: APP=volume-api, argument `migrate`)',
              ]);
            }
            return ds;
          },
        },
        MetricsRegistry,
        PlatformLifecycle,
      ],
      exports: [APP_CONFIG, APP_IDENTITY, LOGGER, NatsService, DataSource, MetricsRegistry],
    };
  }
}
