import { loadConfig } from '@volume/platform';
import { migrationEventsConfigProblems, migrationEventsConfigSchema, notificationStreamSettings } from './migration-events.config';

function config(env: Record<string, string> = {}, prefix = '', connectionTimeoutMs = 300_000) {
  return { ...loadConfig('volume-api', migrationEventsConfigSchema, env), NATS_SUBJECT_PREFIX: prefix, HTTP_CONNECTION_TIMEOUT_MS: connectionTimeoutMs };
}

describe('the notification stream settings', () => {
  it('when nothing is set, then the stream is VOLUME_NOTIFICATIONS on notifications.volume, a day, with a two-minute duplicate window', () => {
    expect(notificationStreamSettings(config())).toEqual({
      name: 'VOLUME_NOTIFICATIONS',
      base: 'notifications.volume',
      maxAgeMs: 86_400_000,
      maxMsgs: 1_000_000,
      duplicateWindowMs: 120_000,
    });
    expect(migrationEventsConfigProblems(config())).toEqual([]);
  });

  it('when a subject prefix is set, then the subjects and the default name carry it (deployments sharing a server do not collide)', () => {
    expect(notificationStreamSettings(config({}, 'staging'))).toMatchObject({ name: 'VOLUME_NOTIFICATIONS_staging', base: 'staging.notifications.volume' });
    expect(notificationStreamSettings(config({ MIGRATION_EVENTS_STREAM: 'MINE' }, 'staging')).name).toBe('MINE');
  });

  it('when a name, subject or window JetStream would refuse is set, then each is named', () => {
    const bad = config({
      MIGRATION_EVENTS_STREAM: 'a.b',
      MIGRATION_EVENTS_SUBJECT: 'notifications.>',
      MIGRATION_EVENTS_MAX_MSGS: '0',
      MIGRATION_EVENTS_MAX_AGE_S: '60',
      MIGRATION_EVENTS_DUPLICATE_WINDOW_S: '120',
    });
    expect(migrationEventsConfigProblems(bad)).toEqual([
      expect.stringContaining('MIGRATION_EVENTS_STREAM="a.b"'),
      expect.stringContaining('MIGRATION_EVENTS_SUBJECT="notifications.>"'),
      expect.stringContaining('MIGRATION_EVENTS_MAX_MSGS=0'),
      expect.stringContaining('MIGRATION_EVENTS_DUPLICATE_WINDOW_S=120 must be <= MIGRATION_EVENTS_MAX_AGE_S=60'),
    ]);
  });

  it('when the heartbeat is not sooner than the HTTP server cuts a silent connection, then it is refused; without that cut any heartbeat goes', () => {
    expect(migrationEventsConfigProblems(config({ MIGRATION_EVENTS_HEARTBEAT_S: '30' }, '', 30_000))).toEqual([
      'MIGRATION_EVENTS_HEARTBEAT_S=30 must be under HTTP_CONNECTION_TIMEOUT_MS=30000 (a quiet event stream would be cut)',
    ]);
    expect(migrationEventsConfigProblems(config({ MIGRATION_EVENTS_HEARTBEAT_S: '29' }, '', 30_000))).toEqual([]);
    expect(migrationEventsConfigProblems(config({ MIGRATION_EVENTS_HEARTBEAT_S: '3600' }, '', 0))).toEqual([]);
  });
});
