import { isFinalMigrationEvent } from '@volume/contracts';
import { Feed, StreamedNotification } from './migration-event-feed.service';
import { MigrationEventThrottle } from './migration-event-throttle';
import { SseResponse } from './sse-response';

export interface SessionOptions {
  /** Null: every project's migrations (an admin's all_tenants). */
  projectId: string | null;
  /** One migration's stream ends after its final event; every migration's goes on. */
  endsWithFinal: boolean;
  heartbeatMs: number;
}

/** The event name of a migration's last event (`end`), whatever way it ended (`event_type` says which). */
export const FINAL_EVENT = 'end';
export const MIGRATION_EVENT = 'migration';

/**
 * One client's event stream: the feed's notifications of the migrations it may see, at most one a
 * second per migration, a comment now and then so that proxies and the client know it is alive.
 * Ends when the client goes, the feed ends, the migration watched ended, or the API stops; it then
 * leaves nothing behind (consumer, timers).
 */
export class MigrationEventSession {
  private readonly throttle = new MigrationEventThrottle<StreamedNotification>((s) => this.write(s));
  private heartbeat: NodeJS.Timeout | null = null;
  private closing: Promise<void> | null = null;

  constructor(
    private readonly sse: SseResponse,
    private readonly feed: Feed,
    private readonly opts: SessionOptions,
  ) {}

  /** Resolves when the stream is over. */
  async run(): Promise<void> {
    this.sse.onClose(() => void this.close());
    this.heartbeat = setInterval(() => this.sse.comment('heartbeat'), this.opts.heartbeatMs);
    try {
      for await (const s of this.feed) {
        const { payload, event_type: type } = s.notification;
        if (this.opts.projectId !== null && payload.project_id !== this.opts.projectId) continue;
        const final = isFinalMigrationEvent(type);
        this.throttle.offer(String(payload.id), s, final);
        if (final && this.opts.endsWithFinal) break;
      }
    } finally {
      await this.close();
    }
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.throttle.close();
      if (this.heartbeat) clearInterval(this.heartbeat);
      await this.feed.close();
      this.sse.end();
    })();
    return this.closing;
  }

  private write({ seq, notification }: StreamedNotification): void {
    const name = isFinalMigrationEvent(notification.event_type) ? FINAL_EVENT : MIGRATION_EVENT;
    this.sse.event(name, { event_type: notification.event_type, volume_migration: notification.payload }, seq);
  }
}
