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
    ...over,
  });
}

function averageOf(row: VolumeMigrationEntity, figures: FiguresSource = PERSISTED, now = TEN_S_LATER): unknown {
  return volumeMigrationView({ row, volumeProgress: null }, figures, { now, stallWarnMs: 120_000 }).average_rate_bytes_per_second;
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
