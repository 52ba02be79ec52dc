import { Logger } from 'pino';
import { EntityManager } from 'typeorm';
import { CHECKPOINT_CADENCE, checkpointDue, ProgressTracker } from '@volume/domain';
import { MigrationCopyFigures } from '@volume/contracts';
import { CopyFiguresRecord, recordCopyProgress, VolumeMigrationEntity } from '@volume/persistence';

/** Why a copy stops on its own: an admin took the volume out of the migration. */
const RESET_BY_ADMIN = 'the volume is no longer migrating (reset by an admin)';

/**
 * What a host copy records as it goes, in one row write (recordCopyProgress): the percent an admin
 * sees with the bytes it was taken from, the durable checkpoint a restart resumes from, and the copy's live figures (rate, time
 * left, when bytes last advanced) for a reader its worker cannot answer. The checkpoint follows what the
 * destination reports durable at libs/domain's `checkpointDue` cadence (a second, or 128 MiB,
 * behind at most), the percent once a second; one write at a time. A write that fails for an
 * outage is simply made again later; the copy goes on without the database.
 */
export class CopyRecorder {
  private durable: number;
  private recordedBytes: number;
  private recordedPercent: string | null = null;
  private lastRecordAt = Date.now();
  private writing: Promise<void> | null = null;
  private readonly resetByAdmin = new AbortController();

  constructor(
    private readonly em: EntityManager,
    private readonly ids: { migrationId: string; volumeId: string },
    private readonly tracker: ProgressTracker,
    startOffset: number,
    private readonly log: Logger,
    private readonly figures: () => MigrationCopyFigures | null = () => null,
  ) {
    this.durable = startOffset;
    this.recordedBytes = startOffset;
  }

  /** Aborted once a write finds the volume no longer migrating: the copy must stop and clean up. */
  get stopped(): AbortSignal {
    return this.resetByAdmin.signal;
  }

  /** What the destination holds durably: where a copy started again (the destination came back) resumes. */
  get checkpoint(): number {
    return this.durable;
  }

  /** The copy moved on (the tracker says how far). */
  onProgress(): void {
    if (Date.now() - this.lastRecordAt >= CHECKPOINT_CADENCE.maxAgeMs && this.tracker.percent !== this.recordedPercent) this.writeSoon();
  }

  /** The destination reports everything before `bytes` durable. */
  onDurable(bytes: number): void {
    if (bytes <= this.durable) return;
    this.durable = bytes;
    const due = checkpointDue({ now: Date.now(), lastRecordAt: this.lastRecordAt, durableBytes: bytes, recordedBytes: this.recordedBytes });
    if (due) this.writeSoon();
  }

  /**
   * Writes now, after the write under way: before a wait (it also tells the watchdog that the
   * migration is alive) and at the end. Rejects when the database does not answer.
   * @returns false when the volume is no longer migrating.
   */
  async flush(): Promise<boolean> {
    while (this.writing) await this.writing;
    return this.track(this.write());
  }

  private writeSoon(): void {
    if (this.writing) return;
    this.track(this.write()).catch((err) => this.log.warn({ err: (err as Error).message }, 'recording the copy progress failed; it is recorded again later'));
  }

  /** One write at a time, so that an older figure never lands after a newer one. */
  private track<T>(write: Promise<T>): Promise<T> {
    const settled = write.then(
      () => undefined,
      () => undefined,
    );
    this.writing = settled;
    void settled.then(() => {
      if (this.writing === settled) this.writing = null;
    });
    return write;
  }

  private async write(): Promise<boolean> {
    const bytesDone = this.durable;
    // The percent and the bytes it comes from, read together: one observation.
    const { percent, processed: processedBytes } = this.tracker;
    this.lastRecordAt = Date.now();
    const recorded = await recordCopyProgress(this.em, { ...this.ids, percent, processedBytes, bytesDone, live: recordOf(this.figures()) });
    if (!recorded) {
      this.resetByAdmin.abort(new Error(RESET_BY_ADMIN));
      return false;
    }
    this.recordedBytes = Math.max(this.recordedBytes, bytesDone);
    this.recordedPercent = percent;
    return true;
  }
}

function recordOf(f: MigrationCopyFigures | null): CopyFiguresRecord | undefined {
  if (!f) return undefined;
  const { bytesToRead, readBytes, rateBytesPerSecond, etaSeconds, lastProgressAt } = f;
  return { bytesToRead, readBytes, rateBytesPerSecond, etaSeconds, lastProgressAt: lastProgressAt === null ? null : new Date(lastProgressAt) };
}

/**
 * Where a resumed copy's progress starts: what an admin already saw (persisted before a restart)
 * must not go backwards. The bytes recorded with the shown percent, else the fewest bytes that show
 * the volume's percent (rounded up: rounded down, 7 % of 1 GiB shows as 6 %), below the end.
 */
export function resumedProcessed(migration: Pick<VolumeMigrationEntity, 'processedBytes'>, volumePercent: string | null, startOffset: number, sizeBytes: number): number {
  const percent = /^\d+$/.test(volumePercent ?? '') ? Number(volumePercent) : 0;
  const shown = Math.max(migration.processedBytes ?? 0, Number((BigInt(percent) * BigInt(sizeBytes) + 99n) / 100n));
  return Math.max(startOffset, Math.min(shown, sizeBytes - 1));
}
