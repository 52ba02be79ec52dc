import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Logger } from 'pino';
import { CodedError, ErrorCode, MigrationChangeNotice, migrationChangeKind, migrationEventDedupId, migrationNotification } from '@volume/contracts';
import { LOGGER } from '@volume/platform';
import { API_CONFIG } from '../../api-config.token';
import type { ApiConfig } from '../../config';
import { volumeMigrationView } from '../volume-migration.view-builder';
import { VolumeMigrationsRepository } from '../volume-migrations.repository';
import { MigrationChangeListener } from './migration-change-listener';
import { notificationCodec, NotificationStream } from './notification-stream.service';

/**
 * Relays what PostgreSQL announces about migrations onto the notification stream, in the order it
 * was announced. Every API replica relays everything: the stream keeps one message per event by
 * its de-duplication id, so a replica more or less (or one that restarts) loses and doubles nothing.
 * The payload is the row as `GET /volume-migrations/{id}` shows it from the database, read when
 * relayed (it may already show a later write; never an earlier one).
 */
@Injectable()
export class MigrationEventRelay implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly listener: MigrationChangeListener;
  private queue: Promise<void> = Promise.resolve();
  /** The de-duplication id of each running migration's last progress event relayed here. */
  private readonly lastProgress = new Map<string, string>();

  constructor(
    private readonly stream: NotificationStream,
    private readonly migrations: VolumeMigrationsRepository,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    @Inject(LOGGER) private readonly log: Logger,
  ) {
    this.listener = new MigrationChangeListener(config.DATABASE_URL, (n) => this.enqueue(n), log, () => this.catchUp());
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.listener.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.listener.stop();
    await this.queue;
  }

  private enqueue(notice: MigrationChangeNotice): void {
    this.queue = this.queue.then(() => this.relay(notice)).catch((err) => this.log.warn({ err, migrationId: notice.id }, 'relaying a migration event failed'));
  }

  /**
   * The endings this replica may have missed (it was starting, or lost PostgreSQL for a while):
   * those of the duplicate window are announced again; the stream drops what another replica, or
   * this one before, relayed already. Without them a watcher of one migration would wait for good.
   */
  private catchUp(): void {
    const windowS = this.config.MIGRATION_EVENTS_DUPLICATE_WINDOW_S;
    this.queue = this.queue
      .then(async () => {
        const rows: { id: string; status: string; at: string }[] = await this.migrations.finishedWithin(windowS);
        for (const r of rows) this.enqueue({ id: r.id, txid: 'catch-up', at: Number(r.at), status: r.status, old_status: 'migrating', state_changed: true });
      })
      .catch((err) => this.log.warn({ err }, 'catching up on migration endings failed'));
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
  }
}
