/**
 * At most one event a second per migration on a stream, the latest one winning: the first of a
 * second goes at once, later ones wait for the second to end and only the newest of them goes. A
 * final event goes at once, and drops what was waiting (it is newer).
 */
export class MigrationEventThrottle<T> {
  private readonly lastSentAt = new Map<string, number>();
  private readonly waiting = new Map<string, { item: T; timer: NodeJS.Timeout }>();

  constructor(
    private readonly send: (item: T) => void,
    private readonly intervalMs = 1_000,
    private readonly now: () => number = Date.now,
  ) {}

  offer(migrationId: string, item: T, final: boolean): void {
    if (final) {
      this.drop(migrationId);
      this.lastSentAt.delete(migrationId);
      this.send(item);
      return;
    }
    const last = this.lastSentAt.get(migrationId);
    const now = this.now();
    if (last === undefined || now - last >= this.intervalMs) {
      // A waiting older one whose timer is late (a busy event loop) is superseded, never sent after this.
      this.drop(migrationId);
      this.emit(migrationId, item);
      return;
    }
    const pending = this.waiting.get(migrationId);
    if (pending) {
      pending.item = item;
      return;
    }
    const timer = setTimeout(() => this.flush(migrationId), last + this.intervalMs - now);
    this.waiting.set(migrationId, { item, timer });
  }

  /** Nothing more goes out: the stream ends. */
  close(): void {
    for (const id of [...this.waiting.keys()]) this.drop(id);
  }

  private flush(migrationId: string): void {
    const pending = this.waiting.get(migrationId);
    this.waiting.delete(migrationId);
    if (pending) this.emit(migrationId, pending.item);
  }

  private emit(migrationId: string, item: T): void {
    this.lastSentAt.set(migrationId, this.now());
    this.send(item);
  }

  private drop(migrationId: string): void {
    const pending = this.waiting.get(migrationId);
    if (pending) clearTimeout(pending.timer);
    this.waiting.delete(migrationId);
  }
}
