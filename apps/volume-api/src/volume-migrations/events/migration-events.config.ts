import { type ConfigOf, env } from '@volume/platform';

/** The JetStream stream of migration notifications and the Server-Sent Events read from it (issue 14 §3). */
export const migrationEventsConfigSchema = {
  MIGRATION_EVENTS_STREAM: env.string(
    'JetStream stream of the volume notifications (created or updated at start); empty = VOLUME_NOTIFICATIONS, suffixed with NATS_SUBJECT_PREFIX when set',
    '',
  ),
  MIGRATION_EVENTS_SUBJECT: env.string(
    'Subject the notifications go under (after NATS_SUBJECT_PREFIX); a migration\'s are <subject>.migration.<id>, the stream takes <subject>.>',
    'notifications.volume',
  ),
  MIGRATION_EVENTS_MAX_AGE_S: env.int('Seconds the stream keeps a notification: how long a consumer may be down and still catch up', 86_400, 60),
  MIGRATION_EVENTS_MAX_MSGS: env.int('Notifications the stream keeps at most (the oldest go first); -1 = no limit', 1_000_000, -1),
  MIGRATION_EVENTS_DUPLICATE_WINDOW_S: env.int(
    'Seconds over which the stream drops a notification published already (a hand-over between relaying API replicas, a retry; at most MIGRATION_EVENTS_MAX_AGE_S)',
    120,
    1,
  ),
  MIGRATION_EVENTS_RELAY_CHECK_S: env.int(
    'One API replica relays the migration events (a PostgreSQL advisory lock); the others try to take over this often, and the relay looks this often for endings it has not published yet',
    3,
    1,
  ),
  MIGRATION_EVENTS_HEARTBEAT_S: env.int('Seconds between the comment heartbeats of an open event stream', 15, 1),
};

export type MigrationEventsConfig = ConfigOf<typeof migrationEventsConfigSchema> & {
  NATS_SUBJECT_PREFIX: string;
  /** The HTTP server closes a connection silent this long (0 = never): the heartbeat must come sooner. */
  HTTP_CONNECTION_TIMEOUT_MS: number;
};

/** The stream and subjects as JetStream takes them. */
export interface NotificationStreamSettings {
  name: string;
  /** Where a migration's notifications go, prefix included: `<base>.migration.<id>`. */
  base: string;
  maxAgeMs: number;
  maxMsgs: number;
  duplicateWindowMs: number;
}

const STREAM_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const SUBJECT = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

export function notificationStreamSettings(config: MigrationEventsConfig): NotificationStreamSettings {
  const prefix = config.NATS_SUBJECT_PREFIX;
  const derived = prefix ? `VOLUME_NOTIFICATIONS_${prefix.replace(/[^A-Za-z0-9_-]/g, '_')}` : 'VOLUME_NOTIFICATIONS';
  return {
    name: config.MIGRATION_EVENTS_STREAM || derived,
    base: prefix ? `${prefix}.${config.MIGRATION_EVENTS_SUBJECT}` : config.MIGRATION_EVENTS_SUBJECT,
    maxAgeMs: config.MIGRATION_EVENTS_MAX_AGE_S * 1000,
    maxMsgs: config.MIGRATION_EVENTS_MAX_MSGS,
    duplicateWindowMs: config.MIGRATION_EVENTS_DUPLICATE_WINDOW_S * 1000,
  };
}

/** What JetStream would refuse at start, named by variable. */
export function migrationEventsConfigProblems(config: MigrationEventsConfig): string[] {
  const problems: string[] = [];
  const { name, base } = notificationStreamSettings(config);
  if (!STREAM_NAME.test(name)) problems.push(`MIGRATION_EVENTS_STREAM=${JSON.stringify(name)} must be 1 to 64 of A-Z a-z 0-9 _ -`);
  if (!SUBJECT.test(base)) problems.push(`MIGRATION_EVENTS_SUBJECT=${JSON.stringify(config.MIGRATION_EVENTS_SUBJECT)} must be dot-separated tokens of A-Z a-z 0-9 _ - (no wildcards)`);
  if (config.MIGRATION_EVENTS_MAX_MSGS === 0) problems.push('MIGRATION_EVENTS_MAX_MSGS=0 must be -1 or at least 1');
  if (config.MIGRATION_EVENTS_DUPLICATE_WINDOW_S > config.MIGRATION_EVENTS_MAX_AGE_S) {
    problems.push(`MIGRATION_EVENTS_DUPLICATE_WINDOW_S=${config.MIGRATION_EVENTS_DUPLICATE_WINDOW_S} must be <= MIGRATION_EVENTS_MAX_AGE_S=${config.MIGRATION_EVENTS_MAX_AGE_S}`);
  }
  const silentMs = config.HTTP_CONNECTION_TIMEOUT_MS;
  if (silentMs !== 0 && config.MIGRATION_EVENTS_HEARTBEAT_S * 1000 >= silentMs) {
    problems.push(`MIGRATION_EVENTS_HEARTBEAT_S=${config.MIGRATION_EVENTS_HEARTBEAT_S} must be under HTTP_CONNECTION_TIMEOUT_MS=${silentMs} (a quiet event stream would be cut)`);
  }
  return problems;
}
