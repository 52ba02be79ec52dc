import { defineCall } from './rpc';

export interface HealthRequest {
  probe: 'live' | 'ready';
}
export interface HealthReply {
  app: string;
  host: string;
  status: 'ok' | 'degraded';
  checks: Record<string, boolean>;
}

export const HealthSubjects = {
  /** Every NATS app answers on `health.<target>.v1`, target from `healthTarget(app, host)`. */
  health: defineCall<HealthRequest, HealthReply>('health.{host}.v1', 2_000),
} as const;

/** One subject token per app instance, whatever characters its host name has. */
export function healthTarget(app: string, host: string): string {
  return `${app}-${host}`.replace(/[^A-Za-z0-9_-]/g, '_');
}
