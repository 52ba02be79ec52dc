import { createHash } from 'node:crypto';

/**
 * Migration events (issue 14 §3): what PostgreSQL announces when a `volume_migrations` row changes,
 * and the oslo.messaging notification the API relays it as onto a JetStream stream, the source of
 * both the integrations' feed and the API's Server-Sent Events.
 */

/** The trigger's announcement of one row write (libs/persistence's `volume_migrations_announce`). */
export interface MigrationChangeNotice {
  id: string;
  /** The writing transaction: one write, one id, for every listener. */
  txid: string;
  /** The database clock at the write, epoch milliseconds. */
  at: number;
  status: string;
  /** Null for the row's insert. */
  old_status: string | null;
  /** More than the figures changed: status, phase, mode, destination, bandwidth limit or error. */
  state_changed: boolean;
}

/** `change`: a state change other than start and end, sent at once (as a `progress` notification). */
export type MigrationChangeKind = 'start' | 'progress' | 'change' | 'end' | 'error' | 'cancel';

export type MigrationEventType = `volume.migration.${'start' | 'progress' | 'end' | 'error' | 'cancel'}`;

/** oslo.messaging's notification, as Cinder's notifier sends it (`payload` is the 3.73 resource). */
export interface MigrationNotification {
  message_id: string;
  publisher_id: string;
  event_type: MigrationEventType;
  priority: 'INFO' | 'ERROR';
  /** oslo's `str(utcnow())`: `2026-12-03 12:10:42.377000`. */
  timestamp: string;
  payload: Record<string, unknown>;
}

const FINAL_KINDS: Record<string, MigrationChangeKind> = { success: 'end', error: 'error', cancelled: 'cancel' };

/** The notifications after which nothing more happens: a stream of one migration ends with one of them. */
export function isFinalMigrationEvent(type: MigrationEventType): boolean {
  return type === 'volume.migration.end' || type === 'volume.migration.error' || type === 'volume.migration.cancel';
}

/**
 * What a write means: the insert starts, reaching success / error / cancelled ends, another change
 * of state is a `change`, new figures alone are `progress`. A write to a finished row (history
 * being tidied) means nothing to a watcher: null.
 */
export function migrationChangeKind(n: MigrationChangeNotice): MigrationChangeKind | null {
  if (n.old_status === null) return 'start';
  if (n.status !== n.old_status && FINAL_KINDS[n.status]) return FINAL_KINDS[n.status];
  if (FINAL_KINDS[n.old_status]) return null;
  return n.state_changed ? 'change' : 'progress';
}

/** The event a migration that ended with row status `status` ended with; null while it runs. */
export function finalMigrationEventOf(status: string): MigrationEventType | null {
  const kind = FINAL_KINDS[status];
  return kind ? migrationEventType(kind) : null;
}

/**
 * The JetStream de-duplication id (`Nats-Msg-Id`) of a write's event. Every relay computes the
 * same one from the same announcement, so that the stream keeps one message however many relay
 * it. Progress goes by the second of the write: the first write of each second is kept, the others
 * are dropped as duplicates, which is the "at most once a second per migration" for every reader.
 */
export function migrationEventDedupId(n: MigrationChangeNotice, kind: MigrationChangeKind): string {
  if (kind === 'progress') return `${n.id}:progress:${Math.floor(n.at / 1000)}`;
  if (kind === 'change') return `${n.id}:change:${n.txid}`;
  return `${n.id}:${kind}`;
}

export function migrationEventType(kind: MigrationChangeKind): MigrationEventType {
  return `volume.migration.${kind === 'change' ? 'progress' : kind}`;
}

/** Where a migration's notifications go: one subject per migration, so that a stream of one filters on it. */
export function migrationNotificationSubject(base: string, migrationId: string): string {
  return `${base}.migration.${migrationId}`;
}

/**
 * The notification of a write. Its `message_id` is derived from the de-duplication id (a UUID
 * shaped SHA-1), so that whichever relay's copy the stream keeps, the event has one id everywhere.
 */
export function migrationNotification(n: MigrationChangeNotice, kind: MigrationChangeKind, publisherId: string, payload: Record<string, unknown>): MigrationNotification {
  return {
    message_id: uuidOf(migrationEventDedupId(n, kind)),
    publisher_id: publisherId,
    event_type: migrationEventType(kind),
    priority: kind === 'error' ? 'ERROR' : 'INFO',
    timestamp: new Date(n.at).toISOString().replace('T', ' ').replace('Z', '000'),
    payload,
  };
}

function uuidOf(name: string): string {
  const h = createHash('sha1').update(name).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16], 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
