import { BeforeApplicationShutdown, DynamicModule, Inject, Module, OnApplicationBootstrap } from '@nestjs/common';
import { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { APP_IDENTITY, LOGGER, NatsService, PlatformModule, serveHealth, ServiceHeartbeat } from '@volume/platform';
// A type-only import: decorator metadata would otherwise reference a value that does not exist.
import type { AppIdentity } from '@volume/platform';
import { NOVA_BRIDGE_APP, NovaBridgeConfig } from './config';

const NOVA_BRIDGE_CONFIG = Symbol('NOVA_BRIDGE_CONFIG');

/**
 * The only app that speaks to compute. Today it registers itself and answers health; swap volume
 * and swap progress arrive with the attached-volume work.
 */
@Module({})
export class NovaBridgeModule implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private heartbeat?: ServiceHeartbeat;

  constructor(
    private readonly nats: NatsService,
    private readonly ds: DataSource,
    @Inject(APP_IDENTITY) private readonly identity: AppIdentity,
    @Inject(NOVA_BRIDGE_CONFIG) private readonly config: NovaBridgeConfig,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  static forRoot(config: NovaBridgeConfig, logger: Logger): DynamicModule {
    return {
      module: NovaBridgeModule,
      imports: [PlatformModule.forRoot({ identity: { app: NOVA_BRIDGE_APP, host: config.NOVA_BRIDGE_HOST }, config, logger })],
      providers: [{ provide: NOVA_BRIDGE_CONFIG, useValue: config }],
    };
  }

  async onApplicationBootstrap(): Promise<void> {
    serveHealth(this.identity, this.nats, this.ds);
    await this.nats.connection.flush();
    this.heartbeat = new ServiceHeartbeat(
      this.ds,
      {
        host: this.config.NOVA_BRIDGE_HOST,
        binary: 'nova-bridge',
        topic: 'nova-bridge',
        availabilityZone: this.config.NOVA_BRIDGE_AVAILABILITY_ZONE,
        intervalS: this.config.REPORT_INTERVAL_S,
      },
      this.log,
    );
    await this.heartbeat.start();
    this.log.info({ adapter: this.config.NOVA_ADAPTER }, 'nova-bridge ready');
  }

  beforeApplicationShutdown(): void {
    this.heartbeat?.stop();
  }
}
