/**
 * `bdrv_drained_begin`/`end` for one device: every guest operation passes the gate; draining
 * closes it (new operations wait) and resolves once the operations already inside have finished.
 */
export class IoGate {
  private inside = 0;
  /** Drains may nest (a mirror's start barrier while the device closes): the gate opens when the last ends. */
  private depth = 0;
  private closed: Promise<void> | null = null;
  private reopen: (() => void) | null = null;
  private idleWaiters: (() => void)[] = [];

  /**
   * Runs `op` inside the gate. When the gate is open the operation counts as inside at once
   * (synchronously), so a drain that starts right after a call still waits for it.
   */
  async run<T>(op: () => Promise<T>): Promise<T> {
    while (this.closed) await this.closed;
    this.inside++;
    try {
      return await op();
    } finally {
      if (--this.inside === 0) this.wakeIdle();
    }
  }

  /** Closes the gate and waits for the operations inside. Each drain needs its own undrain. */
  async drain(): Promise<void> {
    if (this.depth++ === 0) this.closed = new Promise<void>((resolve) => (this.reopen = resolve));
    if (this.inside > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /** Opens the gate again after the last drain; the operations that waited go on in arrival order. */
  undrain(): void {
    if (this.depth === 0) throw new Error('the device is not drained');
    if (--this.depth > 0) return;
    const reopen = this.reopen;
    this.closed = null;
    this.reopen = null;
    reopen?.();
  }

  private wakeIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }
}
