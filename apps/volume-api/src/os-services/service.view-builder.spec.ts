import { ServiceEntity } from '@volume/persistence';
import { ApiVersion, BACKEND_STATE_REPORT, BASE_VERSION, CLUSTER_SUPPORT, getPriorVersion } from '@volume/microversion';
import { isServiceUp, serviceView, ServiceStatus } from './service.view-builder';

const NOW = new Date('2026-11-25T10:00:00.000Z');
const DOWN_TIME_S = 60;

function service(overrides: Partial<ServiceEntity> = {}): ServiceEntity {
  return {
    id: 1,
    uuid: '0d7c54b6-0f3a-4c8e-9a56-2a7d9b1c3e40',
    host: 'host-a@file',
    binary: 'cinder-volume',
    topic: 'cinder-volume',
    availabilityZone: 'nova',
    disabled: false,
    disabledReason: null,
    reportCount: 7,
    createdAt: new Date('2026-11-25T09:00:00.000Z'),
    updatedAt: new Date('2026-11-25T09:59:30.157Z'),
    ...overrides,
  };
}

function status(overrides: Partial<ServiceEntity> = {}, backendState: string | null = 'up'): ServiceStatus {
  return { service: service(overrides), up: true, backendState };
}

const at = (v: string) => ApiVersion.parse(v);

describe('service liveness', () => {
  it('when the last report is within service_down_time, then the service is up', () => {
    expect(isServiceUp(service({ updatedAt: new Date(NOW.getTime() - 60_000) }), NOW, DOWN_TIME_S)).toBe(true);
  });

  it('when the last report is older than service_down_time, then the service is down', () => {
    expect(isServiceUp(service({ updatedAt: new Date(NOW.getTime() - 60_001) }), NOW, DOWN_TIME_S)).toBe(false);
  });

  it('when the report is stamped slightly in the future (clock skew), then the service is still up', () => {
    expect(isServiceUp(service({ updatedAt: new Date(NOW.getTime() + 30_000) }), NOW, DOWN_TIME_S)).toBe(true);
  });

  it('when the service never reported, then its creation time counts', () => {
    expect(isServiceUp(service({ updatedAt: null, createdAt: new Date(NOW.getTime() - 10_000) }), NOW, DOWN_TIME_S)).toBe(true);
    expect(isServiceUp(service({ updatedAt: null, createdAt: new Date(NOW.getTime() - 600_000) }), NOW, DOWN_TIME_S)).toBe(false);
  });
});

describe('os-services entry', () => {
  it('when asked at 3.0 for a volume service, then neither cluster nor backend_state appear, the replication keys do', () => {
    expect(serviceView(at(BASE_VERSION), status())).toEqual({
      binary: 'cinder-volume',
      host: 'host-a@file',
      zone: 'nova',
      status: 'enabled',
      state: 'up',
      updated_at: '2026-11-25T09:59:30.157000',
      disabled_reason: null,
      replication_status: 'disabled',
      active_backend_id: null,
      frozen: false,
    });
  });

  it('when asked at 3.7, then cluster appears (null: clusters are not supported), and not at 3.6', () => {
    expect(serviceView(at(CLUSTER_SUPPORT), status())).toHaveProperty('cluster', null);
    expect(serviceView(at(getPriorVersion(CLUSTER_SUPPORT)), status())).not.toHaveProperty('cluster');
  });

  it('when asked at 3.49 for a volume service, then backend_state appears, and not at 3.48', () => {
    expect(serviceView(at(BACKEND_STATE_REPORT), status())).toHaveProperty('backend_state', 'up');
    expect(serviceView(at(BACKEND_STATE_REPORT), status({}, null))).toHaveProperty('backend_state', null);
    expect(serviceView(at(getPriorVersion(BACKEND_STATE_REPORT)), status())).not.toHaveProperty('backend_state');
  });

  it('when the service is a scheduler, then no backend_state and no replication keys appear', () => {
    const view = serviceView(at(BACKEND_STATE_REPORT), status({ binary: 'cinder-scheduler', host: 'host-a' }, null));
    expect(Object.keys(view)).toEqual(['binary', 'host', 'zone', 'status', 'state', 'updated_at', 'cluster', 'disabled_reason']);
  });

  it('when the service is disabled and down, then status and state say so, with the reason', () => {
    const view = serviceView(at(BASE_VERSION), { service: service({ disabled: true, disabledReason: 'maintenance' }), up: false, backendState: null });
    expect(view).toMatchObject({ status: 'disabled', state: 'down', disabled_reason: 'maintenance' });
  });
});
