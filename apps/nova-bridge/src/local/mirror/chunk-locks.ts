/**
 * QEMU's in-flight chunk set as locks: a copy of a chunk and a guest write touching it run one
 * after the other, in arrival order, never interleaved.
 */
export class ChunkLocks {
  /** Per chunk, the promise the next taker waits for: the release of the latest one. */
  private readonly tails = new Map<number, Promise<void>>();

  /**
   * Takes the locks of `chunks` (ascending) one after the other: a copier holds one chunk at a time
   * and every guest write takes its chunks in the same order, so no two takers wait on each other.
   * Resolves with the function that releases them all.
   */
  async acquire(chunks: readonly number[]): Promise<() => void> {
    const releases: (() => void)[] = [];
    for (const chunk of chunks) releases.push(await this.acquireOne(chunk));
    return () => {
      for (const release of releases) release();
    };
  }

  private async acquireOne(chunk: number): Promise<() => void> {
    const previous = this.tails.get(chunk);
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    this.tails.set(chunk, mine);
    if (previous) await previous;
    return () => {
      if (this.tails.get(chunk) === mine) this.tails.delete(chunk);
      release();
    };
  }
}
