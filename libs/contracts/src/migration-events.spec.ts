import {
  finalMigrationEventOf,
  isFinalMigrationEvent,
  MigrationChangeNotice,
  migrationChangeKind,
  migrationEventDedupId,
  migrationNotification,
} from './migration-events';

const ID = '0d1b9e62-6a55-4f51-9d0e-0c7f4a7c2e10';
const notice = (over: Partial<MigrationChangeNotice> = {}): MigrationChangeNotice => ({
  id: ID,
  txid: '1001',
  at: Date.UTC(2026, 11, 3, 12, 10, 42, 377),
  status: 'migrating',
  old_status: 'migrating',
  state_changed: false,
  ...over,
});

describe('what a migration row write means', () => {
  it.each([
    ['the insert', { old_status: null, status: 'starting', state_changed: true }, 'start'],
    ['reaching success', { old_status: 'completing', status: 'success', state_changed: true }, 'end'],
    ['reaching error', { old_status: 'migrating', status: 'error', state_changed: true }, 'error'],
    ['reaching cancelled', { old_status: 'cancelling', status: 'cancelled', state_changed: true }, 'cancel'],
    ['starting to cancel', { old_status: 'migrating', status: 'cancelling', state_changed: true }, 'change'],
    ['a new phase', { state_changed: true }, 'change'],
    ['new figures only', {}, 'progress'],
  ] as const)('when the write is %s, then it is %s', (_what, over, kind) => {
    expect(migrationChangeKind(notice(over))).toBe(kind);
  });

  it('when a finished row is written again (history tidied), then it means nothing to a watcher', () => {
    expect(migrationChangeKind(notice({ old_status: 'success', status: 'success', state_changed: true }))).toBeNull();
  });
});

describe('de-duplication ids: what lets several relays publish and one copy survive', () => {
  it('when two progress writes fall in one second, then they share an id (the stream keeps the first: at most one a second)', () => {
    const a = notice({ at: 5_000_010, txid: '1' });
    const b = notice({ at: 5_000_990, txid: '2' });
    const c = notice({ at: 5_001_000, txid: '3' });
    expect(migrationEventDedupId(a, 'progress')).toBe(migrationEventDedupId(b, 'progress'));
    expect(migrationEventDedupId(c, 'progress')).not.toBe(migrationEventDedupId(b, 'progress'));
  });

  it('when a state changes, then its id is the write (never throttled); start and end are once per migration', () => {
    expect(migrationEventDedupId(notice({ txid: '7' }), 'change')).toBe(`${ID}:change:7`);
    expect(migrationEventDedupId(notice({ txid: '7' }), 'change')).not.toBe(migrationEventDedupId(notice({ txid: '8' }), 'change'));
    expect(migrationEventDedupId(notice({ txid: '9' }), 'end')).toBe(`${ID}:end`);
    expect(migrationEventDedupId(notice({ txid: '1' }), 'start')).toBe(`${ID}:start`);
  });
});

describe("oslo.messaging's notification shape", () => {
  it('when a progress write is relayed, then it is an INFO volume.migration.progress with oslo timestamp and the resource as payload', () => {
    const n = migrationNotification(notice(), 'progress', 'volume.host-a', { id: ID, status: 'running' });
    expect(n).toEqual({
      message_id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      publisher_id: 'volume.host-a',
      event_type: 'volume.migration.progress',
      priority: 'INFO',
      timestamp: '2026-12-03 12:10:42.377000',
      payload: { id: ID, status: 'running' },
    });
  });

  it('when two relays shape the same write, then the message_id is the same; a state change is a progress event, an error is ERROR', () => {
    const a = migrationNotification(notice(), 'change', 'volume.host-a', {});
    const b = migrationNotification(notice(), 'change', 'volume.host-a', {});
    expect(a.message_id).toBe(b.message_id);
    expect(a.event_type).toBe('volume.migration.progress');
    expect(migrationNotification(notice(), 'error', 'volume.host-a', {})).toMatchObject({ event_type: 'volume.migration.error', priority: 'ERROR' });
  });

  it('when a migration ended, then end, error and cancel are final and name how it ended', () => {
    expect(['volume.migration.end', 'volume.migration.error', 'volume.migration.cancel'].every((t) => isFinalMigrationEvent(t as never))).toBe(true);
    expect(isFinalMigrationEvent('volume.migration.progress')).toBe(false);
    expect(isFinalMigrationEvent('volume.migration.start')).toBe(false);
    expect([finalMigrationEventOf('success'), finalMigrationEventOf('cancelled'), finalMigrationEventOf('migrating')]).toEqual([
      'volume.migration.end',
      'volume.migration.cancel',
      null,
    ]);
  });
});
