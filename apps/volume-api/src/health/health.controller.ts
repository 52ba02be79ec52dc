import { Controller, Get, HttpException } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { databaseReachable, NatsService } from '@volume/platform';

/** Kubernetes probes: live = the process answers; ready = PostgreSQL and NATS are reachable. */
@Controller()
export class HealthController {
  constructor(
    private readonly ds: DataSource,
    private readonly nats: NatsService,
  ) {}

  @Get('healthz')
  live() {
    return { status: 'ok' };
  }

  @Get('readyz')
  async ready() {
    const checks = { postgres: await databaseReachable(this.ds), nats: this.nats.isConnected };
    const ok = Object.values(checks).every(Boolean);
    if (!ok) throw new HttpException({ status: 'unavailable', checks }, 503);
    return { status: 'ok', checks };
  }
}
