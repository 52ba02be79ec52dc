import { BeforeApplicationShutdown, DynamicModule, Inject, Module, OnApplicationBootstrap } from '@nestjs/common';
import { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { PolicyEnforcer } from '@volume/auth';
import { ComputeSubjects } from '@volume/contracts';
import { APP_IDENTITY, LOGGER, NatsService, PlatformModule, serveHealth, ServiceHeartbeat } from '@volume/platform';
// A type-only import: decorator metadata would otherwise reference a value that does not exist.
import type { AppIdentity } from '@volume/platform';
import { ComputeAdapter } from './compute-adapter';
import { NOVA_BRIDGE_APP, type NovaBridgeConfig } from './config';
import { LocalComputeAdapter } from './local/local-adapter';
import { NovaComputeAdapter } from './nova/nova-adapter';

const NOVA_BRIDGE_CONFIG = Symbol('NOVA_BRIDGE_CONFIG');
const NOVA_BRIDGE_POLICY = Symbol('NOVA_BRIDGE_POLICY');

/**
 * The only app that speaks to compute: it swaps the attachments of migrating in-use volumes and
 * reports the swaps' progress, through the adapter its configuration names (`local` or `nova`).
 */
@Module({})
export class NovaBridgeModule implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private heartbeat?: ServiceHeartbeat;
  private adapter?: ComputeAdapter;

  constructor(
    private readonly nats: NatsService,
    private readonly ds: DataSource,
    @Inject(APP_IDENTITY) private readonly identity: AppIdentity,
    @Inject(NOVA_BRIDGE_CONFIG) private readonly config: NovaBridgeConfig,
    @Inject(LOGGER) private readonly log: Logger,
    @Inject(NOVA_BRIDGE_POLICY) private readonly policy: PolicyEnforcer,
  ) {}

  /** `policy` is the one POLICY_FILE names, loaded (and refused, if it cannot be used) before Nest starts. */
  static forRoot(config: NovaBridgeConfig, logger: Logger, policy: PolicyEnforcer): DynamicModule {
    return {
      module: NovaBridgeModule,
      imports: [PlatformModule.forRoot({ identity: { app: NOVA_BRIDGE_APP, host: config.NOVA_BRIDGE_HOST }, config, logger })],
      providers: [
        { provide: NOVA_BRIDGE_CONFIG, useValue: config },
        { provide: NOVA_BRIDGE_POLICY, useValue: policy },
      ],
    };
  }

  /** The adapter in use (for tests and tools that need its details, e.g. the local compute API's URL). */
  get computeAdapter(): ComputeAdapter | undefined {
    return this.adapter;
  }

  async onApplicationBootstrap(): Promise<void> {
    const deps = { ds: this.ds, nats: this.nats, config: this.config, log: this.log, policy: this.policy };
    const adapter: ComputeAdapter = this.config.NOVA_ADAPTER === 'nova' ? new NovaComputeAdapter(deps) : new LocalComputeAdapter(deps);
    await adapter.start();
    this.adapter = adapter;
    this.nats.serve(ComputeSubjects.swapVolume, (req, meta) => adapter.swapVolume(req, meta.requestId));
    this.nats.serve(ComputeSubjects.swapProgress, (req) => adapter.swapProgress(req));
    this.nats.serve(ComputeSubjects.cancelSwap, (req) => adapter.cancelSwap(req));
    this.nats.serve(ComputeSubjects.setSwapBandwidth, (req) => adapter.setSwapBandwidth(req));
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
    this.log.info({ adapter: adapter.name }, 'nova-bridge ready');
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.heartbeat?.stop();
    await this.adapter?.stop();
  }
}
