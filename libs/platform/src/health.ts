import { DataSource } from 'typeorm';
import { HealthReply, HealthSubjects, healthTarget } from '@volume/contracts';
import { AppIdentity } from './platform.module';
import { NatsService } from './nats.service';

export async function databaseReachable(ds: DataSource): Promise<boolean> {
  try {
    await ds.query('SELECT 1');
    return true;
  } catch {
    return false;
  }
}

export async function healthReport(identity: AppIdentity, nats: NatsService, ds: DataSource): Promise<HealthReply> {
  const checks = { postgres: await databaseReachable(ds), nats: nats.isConnected };
  return {
    app: identity.app,
    host: identity.host,
    status: Object.values(checks).every(Boolean) ? 'ok' : 'degraded',
    checks,
  };
}

/** The health check of an app that has no HTTP port: a NATS request on `health.<app>-<host>.v1`. */
export function serveHealth(identity: AppIdentity, nats: NatsService, ds: DataSource): void {
  nats.serve(HealthSubjects.health, () => healthReport(identity, nats, ds), {
    host: healthTarget(identity.app, identity.host),
  });
}
