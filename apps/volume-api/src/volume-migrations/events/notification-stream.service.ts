import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { DiscardPolicy, JetStreamClient, JetStreamManager, JSONCodec, nanos, NatsError, RetentionPolicy, StorageType, StreamConfig } from 'nats';
import { Logger } from 'pino';
import { migrationNotificationSubject, MigrationNotification } from '@volume/contracts';
import { LOGGER, NatsService } from '@volume/platform';
import { API_CONFIG } from '../../api-config.token';
import type { ApiConfig } from '../../config';
import { NotificationStreamSettings, notificationStreamSettings } from './migration-events.config';

/** JetStream's "stream name already in use with a different configuration". */
const STREAM_NAME_IN_USE = 10058;

export const notificationCodec = JSONCodec<MigrationNotification>();

/**
 * The JetStream stream the migration notifications live on, made or brought to the configured
 * limits at start by every API replica (the same config twice is no change). Limits retention, not
 * work-queue or interest: every integration reads it at its own pace, and the events routes replay
 * from it.
 */
@Injectable()
export class NotificationStream implements OnModuleInit {
  readonly settings: NotificationStreamSettings;
  private manager?: JetStreamManager;

  constructor(
    private readonly nats: NatsService,
    @Inject(API_CONFIG) config: ApiConfig,
    @Inject(LOGGER) private readonly log: Logger,
  ) {
    this.settings = notificationStreamSettings(config);
  }

  get js(): JetStreamClient {
    return this.nats.connection.jetstream();
  }

  get jsm(): JetStreamManager {
    if (!this.manager) throw new Error('the notification stream is not set up yet');
    return this.manager;
  }

  subjectOf(migrationId: string): string {
    return migrationNotificationSubject(this.settings.base, migrationId);
  }

  /** Every migration's subjects: `<base>.migration.*`. */
  get allMigrations(): string {
    return migrationNotificationSubject(this.settings.base, '*');
  }

  async onModuleInit(): Promise<void> {
    this.manager = await this.nats.connection.jetstreamManager().catch((err: Error) => {
      throw new Error(`NATS offers no JetStream (run nats-server with -js), which the migration events need: ${err.message}`);
    });
    const { name, base, maxAgeMs, maxMsgs, duplicateWindowMs } = this.settings;
    const config: Partial<StreamConfig> & { name: string } = {
      name,
      subjects: [`${base}.>`],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      discard: DiscardPolicy.Old,
      max_age: nanos(maxAgeMs),
      max_msgs: maxMsgs,
      duplicate_window: nanos(duplicateWindowMs),
    };
    try {
      await this.manager.streams.add(config);
    } catch (err) {
      if ((err as NatsError).api_error?.err_code !== STREAM_NAME_IN_USE) throw err;
      await this.manager.streams.update(name, config);
    }
    this.log.info({ stream: name, subjects: config.subjects }, 'volume notifications stream ready');
  }
}
