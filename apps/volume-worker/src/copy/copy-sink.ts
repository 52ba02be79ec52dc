/** One block to write at `offset`, or, with empty `data`, a mark: everything before `offset` was handed over. */
export interface CopyRecord {
  offset: number;
  data: Buffer;
}

/**
 * Where a copy's blocks go: a file on this host or another worker's data server. Both report
 * durable checkpoints, the offsets through which the destination survives a crash, which is what
 * a restarted copy may resume from.
 */
export interface CopySink {
  /**
   * Writes one segment: records in ascending order, ending with the mark of the segment's end; the
   * ranges between records are holes and stay unwritten. A record's `data` is the producer's again
   * once the sink asks for the next record. Resolves once every record is written, not necessarily
   * durable, with the offset through which the destination is durable.
   */
  writeSegment(records: AsyncIterable<CopyRecord>, signal?: AbortSignal): Promise<number>;
  /** Makes the destination `sizeBytes` long and durable (fdatasync); resolves with the durable offset. */
  finish(sizeBytes: number, signal?: AbortSignal): Promise<number>;
  /** Releases the file or connections; idempotent, and safe after a failure. */
  close(): Promise<void>;
  /**
   * Calls `listener` whenever the destination's durable offset moves on, as soon as it says so:
   * between segment ends too, so that the copy's checkpoint follows the destination closely.
   */
  onDurable?(listener: (durableThrough: number) => void): void;
}

/**
 * The destination went away mid-copy: its worker stopped or restarted, the connection broke, or it
 * no longer knows the target. What it made durable stays, so the copy resumes from its checkpoint
 * once the destination is back; any other sink failure (a refused write, a failed disk) is final.
 */
export class DestinationLostError extends Error {
  override readonly name = 'DestinationLostError';
}

export function isDestinationLost(err: unknown): err is DestinationLostError {
  return err instanceof DestinationLostError;
}
