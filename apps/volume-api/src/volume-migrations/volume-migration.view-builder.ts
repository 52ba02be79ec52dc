import { MigrationProgressReply } from '@volume/contracts';
import {
  bytesLeftToRead,
  estimateEta,
  EtaEstimate,
  FINISHED_MIGRATION_STATUSES,
  migrationPhase,
  progressPercent,
  resourceStatusOf,
} from '@volume/domain';
import { VolumeMigrationEntity } from '@volume/persistence';
import { formatTimestamp } from '../http/links';
import { MigrationRecord } from './volume-migrations.repository';

const PERCENT = /^\d+$/;

/** What the figures of a running migration came from: its runner, now, or its row's last checkpoint. */
export type FiguresSource = { kind: 'live'; reply: MigrationProgressReply } | { kind: 'persisted' };

export interface MigrationViewClock {
  now: Date;
  /** MIGRATION_STALL_WARN_S, in milliseconds. */
  stallWarnMs: number;
}

/**
 * The `volume_migration` of 3.73 (issue 14 §1), key for key. A running migration's figures are its
 * runner's (`source: live`, observed now) when it answered, else its row's as of the last checkpoint
 * (`source: persisted`, observed when written); `eta_state` then follows from the row and the time
 * since bytes last advanced. The percent is 3.72's `migration_progress`, with the bytes it was taken
 * from (never one moment's percent with another's bytes): never back, 100 only at success.
 */
export function volumeMigrationView(record: MigrationRecord, figures: FiguresSource, clock: MigrationViewClock): Record<string, unknown> {
  const { row } = record;
  const live = figures.kind === 'live' ? figures.reply : null;
  const finished = FINISHED_MIGRATION_STATUSES.includes(row.status);
  const total = live?.bytesTotal ?? row.bytesTotal;
  // The percent and these bytes come from one observation: the runner's now, or the last write's.
  const processed = live?.bytesDone ?? (row.status === 'success' ? row.bytesTotal : (row.processedBytes ?? row.bytesDone));
  const eta = live?.etaState ? liveEta(live) : persistedEta(row, finished, clock);
  const durationMs = Math.max(0, (row.finishedAt ?? clock.now).getTime() - row.startedAt.getTime());
  const readBytes = live?.readBytes ?? row.readBytes;
  // A host copy skips holes unread: its average, like its rate, goes by the bytes it read (a row
  // that recorded none, from before 3.73 or all holes, by the bytes it processed).
  const averaged = row.mode === 'host-assisted' && readBytes > 0 ? readBytes : processed;
  // A copy its worker reports on is copying, whatever the row said before its first checkpoint.
  const rowPhase = migrationPhase(row);
  const phase = live?.etaState && (rowPhase === 'scheduling' || rowPhase === 'creating-destination') ? 'copying' : rowPhase;
  return {
    id: row.id,
    volume_id: row.volumeId,
    project_id: row.projectId,
    source_host: row.sourceHost,
    destination_host: row.destHost,
    mode: row.mode,
    phase,
    status: resourceStatusOf(row.status),
    progress: percentOf(row, live, processed, total),
    total_bytes: total,
    processed_bytes: processed,
    bytes_to_read: live ? (live.bytesToRead ?? null) : row.bytesToRead,
    read_bytes: readBytes,
    rate_bytes_per_second: finished ? null : (live ? live.rateBytesPerSecond : row.rateBytesPerSecond) ?? null,
    eta_seconds: eta.etaSeconds,
    eta_state: eta.etaState,
    last_progress_at: formatTimestamp(live?.lastProgressAt ? new Date(live.lastProgressAt) : row.lastProgressAt),
    stalled: eta.stalled,
    bandwidth_limit: row.bandwidthLimit,
    started_at: formatTimestamp(row.startedAt),
    updated_at: formatTimestamp(row.updatedAt),
    finished_at: formatTimestamp(row.finishedAt),
    duration_seconds: Math.round(durationMs) / 1000,
    average_rate_bytes_per_second: durationMs > 0 ? Math.round((averaged * 1000) / durationMs) : null,
    error: row.error,
    observed_at: formatTimestamp(live ? clock.now : row.updatedAt),
    source: live ? 'live' : 'persisted',
  };
}

function liveEta(live: MigrationProgressReply): EtaEstimate {
  return { etaSeconds: live.etaSeconds ?? null, etaState: live.etaState ?? 'unknown', stalled: live.stalled ?? false };
}

/** From the row: the copy's last rate over what it still had to read, and the silence since bytes last moved. */
function persistedEta(row: VolumeMigrationEntity, finished: boolean, clock: MigrationViewClock): EtaEstimate {
  if (finished) return row.status === 'success' ? { etaSeconds: 0, etaState: 'ready', stalled: false } : { etaSeconds: null, etaState: 'unknown', stalled: false };
  const phase = migrationPhase(row);
  const moving = phase === 'copying' || phase === 'swapping';
  const since = row.lastProgressAt ?? row.updatedAt;
  return estimateEta({
    remainingBytes: moving ? bytesLeftToRead({ toRead: row.bytesToRead, read: row.readBytes, processed: row.bytesDone, total: row.bytesTotal }) : null,
    rateBytesPerSecond: row.rateBytesPerSecond,
    msSinceProgress: moving ? Math.max(0, clock.now.getTime() - since.getTime()) : null,
    limitBytesPerSecond: row.bandwidthLimit,
    stallWarnMs: clock.stallWarnMs,
  });
}

/**
 * 3.72's percent: the runner's when it answered, else the one last shown with the row's bytes (a
 * swap's may lead them: it ratchets while the mirror's `end` grows); 99 at most until success. The
 * row keeps it past the volume's own field, which a cancel or an error clears: an ending shows no less.
 */
function percentOf(row: VolumeMigrationEntity, live: MigrationProgressReply | null, processed: number, total: number): number | null {
  if (row.status === 'success') return 100;
  if (live && live.progress !== null && PERCENT.test(live.progress)) return Number(live.progress);
  if (row.mode === 'driver-assisted') return null;
  const ofBytes = total > 0 ? progressPercent(Math.min(processed, total), total) : 0;
  return Math.min(99, Math.max(ofBytes, row.progress ?? 0));
}
