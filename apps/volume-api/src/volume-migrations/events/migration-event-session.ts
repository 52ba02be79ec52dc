import { isFinalMigrationEvent } from '@volume/contracts';
import { Feed, StreamedNotification } from './migration-event-feed.service';
import { MigrationEventThrottle } from './migration-event-throttle';
import { SseResponse } from './sse-response';

export interface SessionOptions {
  /** Null: every project's migrations (an admin's all_tenants). */
  projectId: string | null;
  /** One migration's stream ends after its final event; every migration's goes on. */
  endsWithFinal: boolean;
  /** The client sent a Last-Event-ID: the feed starts with what it missed. */
  replay: boolean;
  heartbeatMs: number;
}

/** The event name of a migration's last event (`end`), whatever way it ended (`event_type` says which). */
export const FINAL_EVENT = 'end';
export const MIGRATION_EVENT = 'migration';

/**
 * At most this many missed events are replayed in full after a Last-Event-ID (the stream keeps them
 * MIGRATION_EVENTS_MAX_AGE_S); beyond them, the rest come at the live pace, the newest winning.
 */
export const MAX_REPLAYED_EVENTS = 1000;

/**
 * One client's event stream: the feed's notifications of the migrations it may see, at most one a
 * second per migration, a comment now and then so that proxies and the client know it is alive.
 * What a client that reconnects with a Last-Event-ID missed (what the stream held after it when the
 * feed opened, up to MAX_REPLAYED_EVENTS) is replayed event by event, unthrottled: the throttle,
 * which keeps only the newest of a second, would drop them all but a few.
 * Ends when the client goes, the feed ends, the migration watched ended, or the API stops; it then
 * leaves nothing behind (consumer, timers).
 */
export class MigrationEventSession {
  private readonly throttle = new MigrationEventThrottle<StreamedNotification>((s) => this.write(s));
  private heartbeat: NodeJS.Timeout | null = null;
  private closing: Promise<void> | null = null;
  /** Events still to replay in full; null until the first event says how many the stream holds. */
  private replayLeft: number | null;

  constructor(
    private readonly sse: SseResponse,
    private readonly feed: Feed,
    private readonly opts: SessionOptions,
  ) {
    this.replayLeft = opts.replay ? null : 0;
  }

  /** Resolves when the stream is over. */
  async run(): Promise<void> {
    this.sse.onClose(() => void this.close());
    this.heartbeat = setInterval(() => this.sse.comment('heartbeat'), this.opts.heartbeatMs);
    try {
      for await (const s of this.feed) {
        this.replayLeft ??= Math.min(MAX_REPLAYED_EVENTS, s.pending + 1);
        const replayed = this.replayLeft > 0;
        if (replayed) this.replayLeft--;
        const { payload, event_type: type } = s.notification;
        if (this.opts.projectId !== null && payload.project_id !== this.opts.projectId) continue;
        const final = isFinalMigrationEvent(type);
        if (replayed) this.write(s);
        else this.throttle.offer(String(payload.id), s, final);
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
