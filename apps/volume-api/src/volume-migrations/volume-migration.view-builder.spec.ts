import { MigrationMode, VolumeMigrationEntity } from '@volume/persistence';
import { FiguresSource, volumeMigrationView } from './volume-migration.view-builder';

const MiB = 1024 * 1024;
const STARTED = new Date('2026-12-03T12:00:00Z');
/** Ten seconds after the start: every average below is the bytes counted over ten seconds. */
const TEN_S_LATER = new Date('2026-12-03T12:00:10Z');
const PERSISTED: FiguresSource = { kind: 'persisted' };

function migration(over: Partial<VolumeMigrationEntity> & { mode: MigrationMode }): VolumeMigrationEntity {
  return Object.assign(new VolumeMigrationEntity(), {
    id: '6f1c1f55-2b8e-4f5c-9f5e-5d1e7f0c0a01',
    volumeId: '6f1c1f55-2b8e-4f5c-9f5e-5d1e7f0c0a02',
    destVolumeId: null,
    sourceHost: 'host-a@file#pool1',
    destHost: 'host-b@file#pool1',
    status: 'success',
    forceHostCopy: false,
    lockVolume: false,
    bytesTotal: 1024 * MiB,
    bytesDone: 1024 * MiB,
    startedAt: STARTED,
    updatedAt: TEN_S_LATER,
    finishedAt: TEN_S_LATER,
    error: null,
    movePhase: null,
    projectId: 'cccc3333cccc3333cccc3333cccc3333',
    phase: 'done',
    bytesToRead: null,
    readBytes: 0,
    rateBytesPerSecond: null,
    etaSeconds: null,
    lastProgressAt: null,
    bandwidthLimit: null,
    progress: null,
    processedBytes: null,
    ...over,
  });
}

function averageOf(row: VolumeMigrationEntity, figures: FiguresSource = PERSISTED, now = TEN_S_LATER): unknown {
  return volumeMigrationView({ row }, figures, { now, stallWarnMs: 120_000 }).average_rate_bytes_per_second;
}

describe('the volume-migrations view: average_rate_bytes_per_second', () => {
  it('when a host copy read fewer bytes than it processed (holes skipped unread), then its average goes by the bytes read', () => {
    expect(averageOf(migration({ mode: 'host-assisted', bytesToRead: 100 * MiB, readBytes: 100 * MiB }))).toBe(10 * MiB);
  });

  it('when a host copy recorded no bytes read (a row from before 3.73, or all holes), then its average falls back to the bytes processed', () => {
    expect(averageOf(migration({ mode: 'host-assisted', readBytes: 0 }))).toBe(Math.round((1024 * MiB) / 10));
  });

  it('when a running host copy has recorded none yet, then its average so far is by the bytes processed at the checkpoint', () => {
    const running = migration({ mode: 'host-assisted', status: 'migrating', phase: 'copying', bytesDone: 50 * MiB, readBytes: 0, finishedAt: null });
    expect(averageOf(running)).toBe(5 * MiB);
  });

  it('when its runner answers live, then the live bytes read count, not the checkpoint the row holds', () => {
    const running = migration({ mode: 'host-assisted', status: 'migrating', phase: 'copying', bytesDone: 20 * MiB, readBytes: 20 * MiB, finishedAt: null });
    const live: FiguresSource = { kind: 'live', reply: { progress: '10', bytesDone: 100 * MiB, bytesTotal: 1024 * MiB, readBytes: 40 * MiB } };
    expect(averageOf(running, live)).toBe(4 * MiB);
  });

  it.each(['driver-assisted', 'compute-swap'] as const)('when the migration is %s, then its average goes by the bytes processed, whatever was read', (mode) => {
    expect(averageOf(migration({ mode, readBytes: 100 * MiB }))).toBe(Math.round((1024 * MiB) / 10));
  });

  it('when no time has passed, then there is no average (not a division by zero)', () => {
    expect(averageOf(migration({ mode: 'host-assisted', readBytes: 100 * MiB, finishedAt: STARTED }))).toBeNull();
  });
});

describe('the volume-migrations view: progress with processed_bytes, from one observation', () => {
  const GIB = 1024 * MiB;
  const shown = (over: Partial<VolumeMigrationEntity> & { mode?: MigrationMode }, figures: FiguresSource = PERSISTED) => {
    const v = volumeMigrationView({ row: migration({ mode: 'host-assisted', finishedAt: null, phase: 'copying', ...over }) }, figures, { now: TEN_S_LATER, stallWarnMs: 120_000 });
    return { progress: v.progress, processed_bytes: v.processed_bytes, total_bytes: v.total_bytes };
  };

  it('when a copy recorded its percent with the bytes it processed ahead of its durable checkpoint, then both are shown, not the checkpoint', () => {
    expect(shown({ status: 'migrating', bytesDone: 0, progress: 6, processedBytes: 70 * MiB })).toEqual({ progress: 6, processed_bytes: 70 * MiB, total_bytes: GIB });
  });

  it('when a row has no shown percent (written before it was kept), then the percent is the checkpoint’s bytes’', () => {
    expect(shown({ status: 'migrating', bytesDone: 25 * MiB })).toEqual({ progress: 2, processed_bytes: 25 * MiB, total_bytes: GIB });
  });

  it('when the migration is cancelling, cancelled or failed, then it shows the percent last shown and its bytes, never less', () => {
    for (const status of ['cancelling', 'cancelled', 'error'] as const) {
      expect(shown({ status, bytesDone: 12 * MiB, progress: 2, processedBytes: 25 * MiB })).toEqual({ progress: 2, processed_bytes: 25 * MiB, total_bytes: GIB });
    }
  });

  it('when a swap’s percent ratcheted while its mirror’s end grew, then the percent stays, above its bytes’', () => {
    expect(shown({ mode: 'compute-swap', status: 'migrating', bytesTotal: 2 * GIB, bytesDone: 0.5 * GIB, progress: 40, processedBytes: 0.5 * GIB })).toMatchObject({ progress: 40 });
  });

  it('when the runner answers, then its percent goes with its bytes; the row’s do not mix in', () => {
    const live: FiguresSource = { kind: 'live', reply: { progress: '9', bytesDone: 100 * MiB, bytesTotal: GIB } };
    expect(shown({ status: 'migrating', bytesDone: 0, progress: 6, processedBytes: 70 * MiB }, live)).toEqual({ progress: 9, processed_bytes: 100 * MiB, total_bytes: GIB });
  });

  it('when the migration succeeded, then 100 of the total', () => {
    expect(shown({ status: 'success', bytesDone: GIB, progress: 99, processedBytes: GIB - 1 })).toEqual({ progress: 100, processed_bytes: GIB, total_bytes: GIB });
  });
});
