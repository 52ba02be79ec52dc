import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Logger } from 'pino';
import { CodedError, ErrorCode, isFinalMigrationEvent, MigrationChangeNotice, migrationChangeKind, migrationEventDedupId, migrationNotification } from '@volume/contracts';
import { LOGGER, MetricFamily, MetricsRegistry } from '@volume/platform';
import { API_CONFIG } from '../../api-config.token';
import type { ApiConfig } from '../../config';
import { volumeMigrationView } from '../volume-migration.view-builder';
import { VolumeMigrationsRepository } from '../volume-migrations.repository';
import { MigrationChangeListener } from './migration-change-listener';
import { notificationCodec, NotificationStream } from './notification-stream.service';

/**
 * Relays what PostgreSQL announces about migrations onto the notification stream, in the order it
 * was announced, while this replica leads (one does: see MigrationChangeListener); the others only
 * serve streams read from NATS. A hand-over may publish an event twice: the stream keeps one, by its
 * de-duplication id. The payload is the row as `GET /volume-migrations/{id}` shows it from the
 * database, read when relayed (it may already show a later write; never an earlier one).
 *
 * Endings are never lost: the row is marked once its final event is on the stream, and the relay
 * publishes the unmarked ones when it takes over and every MIGRATION_EVENTS_RELAY_CHECK_S after
 * (those that ended while no replica led, or whose publication failed).
 */
@Injectable()
export class MigrationEventRelay implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly listener: MigrationChangeListener;
  private queue: Promise<void> = Promise.resolve();
  /** The de-duplication id of each running migration's last progress event relayed here. */
  private readonly lastProgress = new Map<string, string>();
  private sweeper: NodeJS.Timeout | null = null;
  private sweepQueued = false;
  private published = 0;

  constructor(
    private readonly stream: NotificationStream,
    private readonly migrations: VolumeMigrationsRepository,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    @Inject(LOGGER) private readonly log: Logger,
    metrics: MetricsRegistry,
  ) {
    this.listener = new MigrationChangeListener(
      config.DATABASE_URL,
      config.MIGRATION_EVENTS_RELAY_CHECK_S * 1000,
      { onNotice: (n) => this.enqueue(n), onLeading: () => this.lead(), onFollowing: () => this.follow() },
      log,
    );
    metrics.register(() => this.metrics());
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.listener.start();
  }

  async onModuleDestroy(): Promise<void> {
    this.follow();
    await this.listener.stop();
    await this.queue;
  }

  private lead(): void {
    this.sweepEndings();
    this.sweeper = setInterval(() => this.sweepEndings(), this.config.MIGRATION_EVENTS_RELAY_CHECK_S * 1000);
  }

  private follow(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
    this.lastProgress.clear();
  }

  private enqueue(notice: MigrationChangeNotice): void {
    this.queue = this.queue.then(() => this.relay(notice)).catch((err) => this.log.warn({ err, migrationId: notice.id }, 'relaying a migration event failed'));
  }

  /** The endings not on the stream yet, relayed after what is queued (one look queued at a time). */
  private sweepEndings(): void {
    if (this.sweepQueued) return;
    this.sweepQueued = true;
    this.queue = this.queue
      .then(async () => {
        this.sweepQueued = false;
        for (const r of await this.migrations.unrelayedEndings()) {
          this.enqueue({ id: r.id, txid: 'catch-up', at: r.at, status: r.status, old_status: 'migrating', state_changed: true });
        }
      })
      .catch((err) => this.log.warn({ err }, 'looking for unrelayed migration endings failed'));
  }

  private async relay(notice: MigrationChangeNotice): Promise<void> {
    const kind = migrationChangeKind(notice);
    if (!kind) return;
    // A second's first progress is the one the stream keeps: the others need no read nor publish.
    const dedupId = migrationEventDedupId(notice, kind);
    if (kind === 'progress' && this.lastProgress.get(notice.id) === dedupId) return;
    if (kind === 'progress') this.lastProgress.set(notice.id, dedupId);
    else if (kind !== 'start' && kind !== 'change') this.lastProgress.delete(notice.id);
    let record;
    try {
      record = await this.migrations.get(notice.id, null);
    } catch (err) {
      // Purged since: there is nothing left to show.
      if (err instanceof CodedError && err.code === ErrorCode.NotFound) return;
      throw err;
    }
    const view = volumeMigrationView(record, { kind: 'persisted' }, { now: new Date(), stallWarnMs: this.config.MIGRATION_STALL_WARN_S * 1000 });
    const publisher = `volume.${record.row.sourceHost.split('@')[0]}`;
    const notification = migrationNotification(notice, kind, publisher, view);
    await this.stream.js.publish(this.stream.subjectOf(notice.id), notificationCodec.encode(notification), { msgID: dedupId });
    this.published++;
    if (isFinalMigrationEvent(notification.event_type)) await this.migrations.markEndingRelayed(notice.id);
  }

  private metrics(): MetricFamily[] {
    return [
      {
        name: 'volume_api_migration_event_relay_leader',
        help: 'Whether this API replica is the one relaying migration events to NATS (1) or stands by (0)',
        type: 'gauge',
        samples: [{ value: this.listener.isLeader ? 1 : 0 }],
      },
      {
        name: 'volume_api_migration_events_published_total',
        help: 'Migration notifications this API replica published to the JetStream stream',
        type: 'counter',
        samples: [{ value: this.published }],
      },
    ];
  }
}
