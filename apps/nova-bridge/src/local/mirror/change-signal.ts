/** Wakes whatever waits for a mirror's state to move on: the copier, a pivot, a closing target. */
export class ChangeSignal {
  private waiters: (() => void)[] = [];

  next(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
