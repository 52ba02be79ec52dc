import { ServiceEntity } from '@volume/persistence';
import { ApiVersion, BACKEND_STATE_REPORT, CLUSTER_SUPPORT } from '@volume/microversion';
import { formatTimestamp } from '../http/links';

/** The binary name of the services that own backends (Cinder's constants.VOLUME_BINARY). */
export const VOLUME_BINARY = 'cinder-volume';

/** A `services` row with what `GET /os-services` derives from it. */
export interface ServiceStatus {
  service: ServiceEntity;
  up: boolean;
  /** The scheduler's view of the service's backend; null when it has no pools of it. */
  backendState: string | null;
}

/**
 * Cinder's liveness rule: the last report (or the creation, before any report) lies within
 * service_down_time of now, on either side, so a clock slightly ahead still counts as up.
 */
export function isServiceUp(service: Pick<ServiceEntity, 'updatedAt' | 'createdAt'>, now: Date, downTimeS: number): boolean {
  const last = service.updatedAt ?? service.createdAt;
  return Math.abs(now.getTime() - last.getTime()) <= downTimeS * 1000;
}

/**
 * One entry of Cinder's `os-services` index with the extended-services keys (loaded by default in
 * Cinder), per microversion. Replication is not supported, so a volume service reports what a
 * running non-replicated cinder-volume reports: replication disabled, no failover, not frozen.
 */
export function serviceView(version: ApiVersion, s: ServiceStatus): Record<string, unknown> {
  const isVolume = s.service.binary === VOLUME_BINARY;
  const view: Record<string, unknown> = {
    binary: s.service.binary,
    host: s.service.host,
    zone: s.service.availabilityZone,
    status: s.service.disabled ? 'disabled' : 'enabled',
    state: s.up ? 'up' : 'down',
    updated_at: formatTimestamp(s.service.updatedAt),
  };
  if (version.gte(BACKEND_STATE_REPORT) && isVolume) view.backend_state = s.backendState;
  if (version.gte(CLUSTER_SUPPORT)) view.cluster = null;
  view.disabled_reason = s.service.disabledReason;
  if (isVolume) {
    view.replication_status = 'disabled';
    view.active_backend_id = null;
    view.frozen = false;
  }
  return view;
}
