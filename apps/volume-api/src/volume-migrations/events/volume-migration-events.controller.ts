import { Controller, Get, Inject, Param, Query, Req, Res } from '@nestjs/common';
import { FastifyReply, FastifyRequest } from 'fastify';
import { CodedError, ErrorCode, finalMigrationEventOf, isFinalMigrationEvent } from '@volume/contracts';
import { API_CONFIG } from '../../api-config.token';
import type { ApiConfig } from '../../config';
import { authorize, isContextAdmin } from '../../http/policy';
import { type AuthedContext, Ctx } from '../../http/request-context';
import { lastValues, type QueryParams } from '../../query-params';
import { parseMigrationListQuery } from '../volume-migration-query';
import { volumeMigrationView } from '../volume-migration.view-builder';
import { requireVersion, VolumeMigrationPolicy } from '../volume-migrations.controller';
import { VolumeMigrationsRepository } from '../volume-migrations.repository';
import { parseLastEventId } from './last-event-id';
import { eventsUnavailable, MigrationEventFeed } from './migration-event-feed.service';
import { MigrationEventStreams } from './migration-event-streams.service';
import { progressSamples } from './migration-progress-samples';

/** How long after a migration ended its final event may still be on its way to the stream. */
const RELAY_GRACE_MS = 10_000;

/**
 * Server-Sent Events of migrations (3.73, issue 14 §3), under the list's and show's policy rules:
 * every migration's (`events`, a static segment the router prefers to an id) and one migration's;
 * and one migration's progress over time, read from the same stream. Refusals (version, auth,
 * policy, an unknown migration, a broker that cannot serve) are the usual faults, before the stream starts.
 */
@Controller('v3/volume-migrations')
export class VolumeMigrationEventsController {
  constructor(
    private readonly migrations: VolumeMigrationsRepository,
    private readonly feed: MigrationEventFeed,
    private readonly streams: MigrationEventStreams,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  @Get('events')
  async all(@Ctx() ctx: AuthedContext, @Query() query: QueryParams, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    requireVersion(ctx);
    authorize(ctx.caller, VolumeMigrationPolicy.index);
    const unknown = Object.keys(lastValues(query)).filter((k) => k !== 'all_tenants');
    if (unknown.length) throw new CodedError(ErrorCode.BadRequest, `Invalid filters ${unknown.join(',')} are found in query options.`);
    const { projectId } = parseMigrationListQuery(query, ctx, this.config.OSAPI_MAX_LIMIT);
    await this.streams.serve(reply, { afterSeq: parseLastEventId(req.headers['last-event-id']), projectId });
  }

  /**
   * One migration's progress over time (3.73, the show rule: admin by default), for a chart of a
   * finished one too: the figures of its notifications the stream still holds
   * (MIGRATION_EVENTS_MAX_AGE_S), rather than a copy of them kept in PostgreSQL.
   */
  @Get(':id/progress')
  async progress(@Ctx() ctx: AuthedContext, @Param('id') id: string) {
    requireVersion(ctx);
    authorize(ctx.caller, VolumeMigrationPolicy.show);
    const record = await this.migrations.get(id, isContextAdmin(ctx.caller) ? null : ctx.caller.projectId);
    const held = await this.feed.history(record.row.id).catch(() => {
      throw eventsUnavailable();
    });
    return { progress_samples: progressSamples(held) };
  }

  /**
   * A finished migration's stream replays up to its final event; a client that already has it (an
   * EventSource reconnects after every close) gets 204, which tells it to stop. When the stream
   * lacks the final event well after the end (aged out, or ended while no replica relayed), the
   * row gives it; just after the end, the relay is only behind and the stream waits for it.
   */
  @Get(':id/events')
  async one(@Ctx() ctx: AuthedContext, @Param('id') id: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    requireVersion(ctx);
    authorize(ctx.caller, VolumeMigrationPolicy.show);
    const record = await this.migrations.get(id, isContextAdmin(ctx.caller) ? null : ctx.caller.projectId);
    const afterSeq = parseLastEventId(req.headers['last-event-id']);
    const finalEvent = finalMigrationEventOf(record.row.status);
    if (finalEvent) {
      const last = await this.feed.lastOf(record.row.id);
      if (afterSeq !== null && (last === null || afterSeq >= last.seq)) {
        reply.code(204).send();
        return;
      }
      const relayed = last !== null && isFinalMigrationEvent(last.notification.event_type);
      if (!relayed && Date.now() - (record.row.finishedAt ?? record.row.updatedAt).getTime() > RELAY_GRACE_MS) {
        const clock = { now: new Date(), stallWarnMs: this.config.MIGRATION_STALL_WARN_S * 1000 };
        this.streams.serveFinal(reply, finalEvent, volumeMigrationView(record, { kind: 'persisted' }, clock), last?.seq ?? 0);
        return;
      }
    }
    await this.streams.serve(reply, { migrationId: record.row.id, afterSeq, projectId: null });
  }
}
