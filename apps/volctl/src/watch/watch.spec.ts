import type { Volume } from '../api/block-storage';
import { migration } from '../test-support/migration-fixture';
import { ExitCode } from '../exit-codes';
import { MigrationFeed, pollingFeed, readRunningMigrations } from './migration-feed';
import { MigrationState, stateOfMigration, stateOfVolume } from './migration-state';
import { PlainView } from './plain-view';
import { barLine } from './tty-view';
import { watchMigrations } from './watch-migrations';
import type { BlockStorageApi } from '../api/block-storage';

const MIB = 1024 ** 2;
const NOW = new Date('2026-12-03T12:00:00Z');

/** A feed that gives these sets one after the other, then aborts as Ctrl-C would. */
function scripted(sets: MigrationState[][], onEnd?: AbortController): MigrationFeed {
  return {
    async *updates() {
      for (const s of sets) yield s;
      onEnd?.abort();
      yield sets.at(-1) ?? [];
    },
  };
}

function plain() {
  const lines: string[] = [];
  let tick = 0;
  return { lines, view: new PlainView((l) => lines.push(l), () => new Date(NOW.getTime() + 1000 * tick++)) };
}

describe('a watched migration: states, plain lines and exit codes', () => {
  it('when the API flags a migration as stalled, then the silence is timed from last_progress_at', () => {
    const s = stateOfMigration(migration({ stalled: true, eta_state: 'stalled', last_progress_at: '2026-12-03T11:57:00Z' }), 'db', NOW);
    expect(s).toMatchObject({ key: 'm1', label: 'db', stalledSeconds: 180, etaState: 'stalled' });
    expect(stateOfMigration(migration(), 'db', NOW).stalledSeconds).toBeNull();
  });

  it('when read from a volume at 3.72, then the percent comes from migration_progress and bytes from the size', () => {
    const v: Volume = { id: 'v1', name: 'db', status: 'maintenance', size: 2, migration_status: 'migrating', migration_progress: '25%' };
    expect(stateOfVolume(v, 'host-b@file#pool1')).toMatchObject({ status: 'running', phase: 'copying', percent: 25, processedBytes: 512 * MIB, totalBytes: 2048 * MIB, rate: null });
    expect(stateOfVolume({ ...v, migration_progress: 'driver-assisted' })).toMatchObject({ status: 'running', phase: 'driver-assisted', percent: null });
    expect(stateOfVolume({ ...v, migration_status: 'success', migration_progress: undefined })).toMatchObject({ status: 'success', percent: 100 });
    expect(stateOfVolume({ ...v, migration_status: 'error' })).toMatchObject({ status: 'error', error: expect.stringContaining('migration_status: error') });
  });

  it('when states repeat, then a plain line is written only when what it shows changes, with the stall warning when stalled', async () => {
    const { lines, view } = plain();
    const running = stateOfMigration(migration(), 'db', NOW);
    const stalled = stateOfMigration(migration({ stalled: true, eta_state: 'stalled', last_progress_at: '2026-12-03T11:57:00Z' }), 'db', NOW);
    const done = stateOfMigration(migration({ status: 'success', phase: 'done', progress: 100, duration_seconds: 16, average_rate_bytes_per_second: 64 * MIB }), 'db', NOW);
    const code = await watchMigrations(scripted([[running], [running], [stalled], [done]]), view, new AbortController().signal);
    expect(code).toBe(ExitCode.Ok);
    expect(lines).toEqual([
      '2026-12-03T12:00:00Z db -> host-b@file#pool1: copying 40%, 410.0 MiB of 1.0 GiB, 64.0 MiB/s, ETA 10s (throttled)',
      '2026-12-03T12:00:01Z db -> host-b@file#pool1: copying 40%, 410.0 MiB of 1.0 GiB, 64.0 MiB/s, ETA stalled, WARNING stalled for 3 min',
      '2026-12-03T12:00:02Z db -> host-b@file#pool1: success in 16s (avg 64.0 MiB/s)',
    ]);
  });

  it('when a bar is drawn for a stalled migration, then its line carries the stall warning; an ended one its outcome', () => {
    // As cli-progress hands them to a format function: the bar strings rendered to their full size.
    const options = { barsize: 10, barCompleteString: '#'.repeat(10), barIncompleteString: '-'.repeat(10), barGlue: '' };
    const params = { progress: 0.4, eta: 0, startTime: 0, stopTime: null, total: 100, value: 40, maxWidth: 160 };
    const stalled = stateOfMigration(migration({ stalled: true, eta_state: 'stalled', last_progress_at: '2026-12-03T11:57:00Z' }), 'db', NOW);
    expect(barLine(options, params, { state: stalled, width: 8 })).toBe('db       [####------]  40% | 410.0 MiB of 1.0 GiB | 64.0 MiB/s | ETA stalled | copying | !! stalled for 3 min');
    const done = stateOfMigration(migration({ status: 'cancelled', phase: 'done' }), 'a-very-long-volume-name', NOW);
    expect(barLine(options, params, { state: done, width: 8 })).toBe('a-very-~ [####------]  40% | cancelled');
  });

  it.each([
    ['error', 'error: copy failed: No space left on device'],
    ['cancelled', 'cancelled'],
  ])('when the migration ends %s, then the watch exits 1 with its end', async (status, text) => {
    const { lines, view } = plain();
    const end = stateOfMigration(migration({ status, phase: 'done', error: status === 'error' ? 'copy failed: No space left on device' : null }));
    expect(await watchMigrations(scripted([[end]]), view, new AbortController().signal)).toBe(ExitCode.Failed);
    expect(lines.at(-1)).toMatch(new RegExp(`v1 -> host-b@file#pool1: ${text}$`));
  });

  it('when Ctrl-C comes, then the watch stops (exit 130) and says the migration keeps running and how to watch it again', async () => {
    const { lines, view } = plain();
    const ctrlC = new AbortController();
    const code = await watchMigrations(scripted([[stateOfMigration(migration(), 'db', NOW)]], ctrlC), view, ctrlC.signal);
    expect(code).toBe(ExitCode.Interrupted);
    expect(lines.at(-1)).toBe('Stopped watching; the migration keeps running on the server (volctl migrations watch m1).');
  });

  it('when the polling feed is aborted while it waits, then it ends at once', async () => {
    const ctrlC = new AbortController();
    const reads: number[] = [];
    const started = Date.now();
    const feed = pollingFeed(async () => {
      reads.push(Date.now());
      if (reads.length === 2) setTimeout(() => ctrlC.abort(), 10);
      return [];
    }, 50);
    for await (const _ of feed.updates(ctrlC.signal)) {
      // only counting reads
    }
    expect(reads).toHaveLength(2);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('when a running migration leaves the running list, then it is read once more by id so that its end shows', async () => {
    const lists = [[migration()], []];
    const api = {
      listMigrations: async () => lists.shift() ?? [],
      getMigration: async (id: string) => migration({ id, status: 'success', phase: 'done', progress: 100 }),
    } as unknown as BlockStorageApi;
    const read = readRunningMigrations(api, {});
    expect((await read()).map((s) => s.status)).toEqual(['running']);
    expect((await read()).map((s) => [s.key, s.status])).toEqual([['m1', 'success']]);
  });
});
