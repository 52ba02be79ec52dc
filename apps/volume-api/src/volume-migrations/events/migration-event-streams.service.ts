import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { FastifyReply } from 'fastify';
import { Logger } from 'pino';
import { MigrationEventType } from '@volume/contracts';
import { LOGGER } from '@volume/platform';
import { API_CONFIG } from '../../api-config.token';
import type { ApiConfig } from '../../config';
import { eventsUnavailable, FeedRequest, MigrationEventFeed } from './migration-event-feed.service';
import { FINAL_EVENT, MigrationEventSession } from './migration-event-session';
import { SseResponse } from './sse-response';

/** What an EventSource waits before it reconnects (the stream's `retry:`). */
const RETRY_MS = 3_000;

/**
 * The open event streams of this replica. Each gets its own feed; the API's shutdown ends them
 * all first (an open stream would otherwise keep the HTTP server from closing).
 */
@Injectable()
export class MigrationEventStreams implements OnModuleDestroy {
  private readonly sessions = new Set<MigrationEventSession>();

  constructor(
    private readonly feed: MigrationEventFeed,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  get openCount(): number {
    return this.sessions.size;
  }

  /**
   * Streams the feed to the client. The feed is opened before anything is written, so that a
   * broker that cannot serve it is still a 503 fault, not a stream that dies at once.
   */
  async serve(reply: FastifyReply, req: FeedRequest & { projectId: string | null }): Promise<void> {
    const feed = await this.feed.open(req).catch((err) => {
      this.log.warn({ err }, 'the migration event feed could not be opened');
      throw eventsUnavailable();
    });
    const session = new MigrationEventSession(this.start(reply), feed, {
      projectId: req.projectId,
      endsWithFinal: req.migrationId !== undefined,
      replay: req.afterSeq !== null,
      heartbeatMs: this.config.MIGRATION_EVENTS_HEARTBEAT_S * 1000,
    });
    this.sessions.add(session);
    void session
      .run()
      .catch((err) => this.log.warn({ err }, 'a migration event stream failed'))
      .finally(() => this.sessions.delete(session));
  }

  /**
   * A finished migration whose final event the stream does not hold: its last state from the
   * database, once, with the id of the last event the stream has of it (0: none), so that a client
   * that reconnects with it is told there is nothing more (204).
   */
  serveFinal(reply: FastifyReply, eventType: MigrationEventType, resource: Record<string, unknown>, id: number): void {
    const sse = this.start(reply);
    sse.event(FINAL_EVENT, { event_type: eventType, volume_migration: resource }, id);
    sse.end();
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all([...this.sessions].map((s) => s.close()));
  }

  private start(reply: FastifyReply): SseResponse {
    reply.hijack();
    const sse = new SseResponse(reply.raw);
    sse.start(reply.getHeaders(), RETRY_MS);
    return sse;
  }
}
