const MIB = 1024 * 1024;

/** How closely the recorded checkpoint of a copy follows what the destination holds durably. */
export interface CheckpointCadence {
  /** A durable offset newer than the recorded one is recorded at most this long after the last record. */
  maxAgeMs: number;
  /** ...or as soon as it is this many bytes ahead, whatever the time (a fast copy). */
  maxLagBytes: number;
}

/**
 * One record a second (a restart re-copies at most a few seconds of work), and never more than
 * 128 MiB behind: a row update per second is nothing to PostgreSQL, and a fast copy moves
 * hundreds of MiB a second.
 */
export const CHECKPOINT_CADENCE: CheckpointCadence = { maxAgeMs: 1_000, maxLagBytes: 128 * MIB };

export interface CheckpointState {
  now: number;
  /** When the checkpoint was last recorded (the copy's start counts as one). */
  lastRecordAt: number;
  /** What the destination reported durable. */
  durableBytes: number;
  /** What the migration's row holds. */
  recordedBytes: number;
}

/** Whether the copy should record its durable offset now: it moved on, and the record is old or far behind. */
export function checkpointDue(s: CheckpointState, cadence: CheckpointCadence = CHECKPOINT_CADENCE): boolean {
  if (s.durableBytes <= s.recordedBytes) return false;
  return s.now - s.lastRecordAt >= cadence.maxAgeMs || s.durableBytes - s.recordedBytes >= cadence.maxLagBytes;
}
