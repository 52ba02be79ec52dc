export interface ByteRange {
  offset: number;
  length: number;
}

/**
 * QEMU's dirty bitmap: one bit per `granularity` bytes of a device, grouped in chunks of
 * `chunkBytes` (the copier's unit). It keeps a count per chunk so that finding the next dirty
 * chunk costs a scan of chunks, not of granules. The last granule and chunk may be short.
 */
export class DirtyBitmap {
  readonly chunks: number;
  private readonly granules: number;
  private readonly granulesPerChunk: number;
  private readonly bits: Uint8Array;
  private readonly chunkDirty: Uint32Array;
  private dirty = 0;

  constructor(
    readonly sizeBytes: number,
    readonly granularity: number,
    readonly chunkBytes: number,
    allDirty: boolean,
  ) {
    if (!Number.isSafeInteger(sizeBytes) || sizeBytes < 0) throw new RangeError(`sizeBytes must be a byte count, got ${sizeBytes}`);
    if (!Number.isSafeInteger(granularity) || granularity <= 0) throw new RangeError(`granularity must be positive, got ${granularity}`);
    if (!Number.isSafeInteger(chunkBytes) || chunkBytes <= 0 || chunkBytes % granularity !== 0) {
      throw new RangeError(`chunkBytes must be a positive multiple of the granularity (${granularity}), got ${chunkBytes}`);
    }
    this.granules = Math.ceil(sizeBytes / granularity);
    this.granulesPerChunk = chunkBytes / granularity;
    this.chunks = Math.ceil(sizeBytes / chunkBytes);
    this.bits = new Uint8Array(this.granules);
    this.chunkDirty = new Uint32Array(this.chunks);
    if (allDirty) this.set(0, sizeBytes);
  }

  get dirtyBytes(): number {
    return this.dirty;
  }

  /** Marks every granule that `[offset, offset + length)` touches. */
  set(offset: number, length: number): void {
    if (length <= 0) return;
    const last = Math.min(this.granules - 1, Math.floor((offset + length - 1) / this.granularity));
    for (let g = Math.floor(offset / this.granularity); g <= last; g++) {
      if (this.bits[g]) continue;
      this.bits[g] = 1;
      this.chunkDirty[Math.floor(g / this.granulesPerChunk)]++;
      this.dirty += this.granuleLength(g);
    }
  }

  /** Whether any granule that `[offset, offset + length)` touches is marked. */
  any(offset: number, length: number): boolean {
    if (length <= 0) return false;
    const last = Math.min(this.granules - 1, Math.floor((offset + length - 1) / this.granularity));
    for (let g = Math.floor(offset / this.granularity); g <= last; g++) if (this.bits[g]) return true;
    return false;
  }

  isChunkDirty(chunk: number): boolean {
    return this.chunkDirty[chunk] > 0;
  }

  /** The first dirty chunk at or after `from` that `skip` does not exclude, or -1. */
  nextDirtyChunk(from: number, skip: (chunk: number) => boolean): number {
    for (let c = Math.max(0, from); c < this.chunks; c++) {
      if (this.chunkDirty[c] > 0 && !skip(c)) return c;
    }
    return -1;
  }

  /** Clears a chunk's bits and returns what they covered, as maximal runs of bytes. */
  takeChunk(chunk: number): ByteRange[] {
    const runs: ByteRange[] = [];
    if (this.chunkDirty[chunk] === 0) return runs;
    const first = chunk * this.granulesPerChunk;
    const end = Math.min(this.granules, first + this.granulesPerChunk);
    let run: ByteRange | null = null;
    for (let g = first; g < end; g++) {
      if (!this.bits[g]) {
        run = null;
        continue;
      }
      this.bits[g] = 0;
      const length = this.granuleLength(g);
      this.dirty -= length;
      if (run) run.length += length;
      else runs.push((run = { offset: g * this.granularity, length }));
    }
    this.chunkDirty[chunk] = 0;
    return runs;
  }

  /** The chunks that `[offset, offset + length)` touches, ascending. */
  chunksOf(offset: number, length: number): number[] {
    if (length <= 0) return [];
    const first = Math.floor(offset / this.chunkBytes);
    const last = Math.min(this.chunks - 1, Math.floor((offset + length - 1) / this.chunkBytes));
    const out: number[] = [];
    for (let c = first; c <= last; c++) out.push(c);
    return out;
  }

  private granuleLength(g: number): number {
    return Math.min(this.granularity, this.sizeBytes - g * this.granularity);
  }
}
