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
}
