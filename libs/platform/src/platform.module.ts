import { DynamicModule, Global, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { createDataSource } from '@volume/persistence';
import { NatsService } from './nats.service';

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
  config: { DATABASE_URL: string; NATS_URL: string; NATS_SUBJECT_PREFIX: string };
  logger: Logger;
  dbPoolSize?: number;
}

/** Closes the shared connections last, after the app's own services stopped taking work. */
@Injectable()
class PlatformLifecycle implements OnApplicationShutdown {
  constructor(
    private readonly nats: NatsService,
    private readonly ds: DataSource,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  async onApplicationShutdown(signal?: string): Promise<void> {
    this.log.info({ signal }, 'closing NATS and PostgreSQL connections');
    await this.nats.drain().catch((err) => this.log.warn({ err }, 'NATS drain failed'));
    if (this.ds.isInitialized) await this.ds.destroy();
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
          useFactory: () =>
            NatsService.connect(
              opts.config.NATS_URL,
              `${opts.identity.app}:${opts.identity.host}`,
              opts.logger,
              opts.config.NATS_SUBJECT_PREFIX,
            ),
        },
        {
          provide: DataSource,
          useFactory: async () => {
            const ds = createDataSource({
              url: opts.config.DATABASE_URL,
              poolSize: opts.dbPoolSize,
              applicationName: `${opts.identity.app}:${opts.identity.host}`,
            });
            return ds.initialize();
          },
        },
        PlatformLifecycle,
      ],
      exports: [APP_CONFIG, APP_IDENTITY, LOGGER, NatsService, DataSource],
    };
  }
}
