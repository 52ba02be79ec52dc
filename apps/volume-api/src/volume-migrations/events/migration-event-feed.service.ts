import { Injectable } from '@nestjs/common';
import { Consumer, ConsumerMessages, DeliverPolicy, NatsError, OrderedConsumerOptions } from 'nats';
import { CodedError, ErrorCode, MigrationNotification } from '@volume/contracts';
import { notificationCodec, NotificationStream } from './notification-stream.service';

/** JetStream's "no message found". */
const NO_MESSAGE_FOUND = 10037;

/** One notification as the stream holds it: its sequence is the event's id (what Last-Event-ID repeats). */
/** What a reader of the events is told when NATS cannot serve them: a 503 fault, never a stream that dies at once. */
export function eventsUnavailable(): CodedError {
  return new CodedError(ErrorCode.Unavailable, 'The migration events are unavailable now; try again later.');
}

export interface StreamedNotification {
  seq: number;
  notification: MigrationNotification;
  /** How many of the feed's notifications the stream held after this one when it was delivered. */
  pending: number;
}

export interface FeedRequest {
  /** One migration's, or every migration's. */
  migrationId?: string;
  /** The Last-Event-ID: replay what came after it (as far as the stream still holds). */
  afterSeq: number | null;
}

/** An open read of the stream; `close` removes its consumer from the server too. */
export interface Feed extends AsyncIterable<StreamedNotification> {
  close(): Promise<void>;
}

/**
 * Reads migration notifications off the JetStream stream through an ordered consumer of its own
 * (in order, no acks, nothing shared between readers). Without a Last-Event-ID, one migration's
 * feed starts with its latest notification (what it looks like now), every migration's with the next one.
 */
@Injectable()
export class MigrationEventFeed {
  constructor(private readonly stream: NotificationStream) {}

  async open(req: FeedRequest): Promise<Feed> {
    const filterSubjects = req.migrationId ? this.stream.subjectOf(req.migrationId) : this.stream.allMigrations;
    const opts: Partial<OrderedConsumerOptions> =
      req.afterSeq !== null
        ? { filterSubjects, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: req.afterSeq + 1 }
        : { filterSubjects, deliver_policy: req.migrationId ? DeliverPolicy.LastPerSubject : DeliverPolicy.New };
    const consumer = await this.stream.js.consumers.get(this.stream.settings.name, opts);
    const messages = await consumer.consume();
    return feedOf(consumer, messages);
  }

  /**
   * Every notification of one migration the stream still holds, oldest first, up to its latest at
   * the time of asking (a running migration's later ones are the events stream's). Should the
   * latest age out meanwhile, what was read within `maxWaitMs` is the answer.
   */
  async history(migrationId: string, maxWaitMs = 10_000): Promise<StreamedNotification[]> {
    const last = await this.lastOf(migrationId);
    if (!last) return [];
    const feed = await this.open({ migrationId, afterSeq: 0 });
    const giveUp = setTimeout(() => void feed.close(), maxWaitMs);
    const held: StreamedNotification[] = [];
    try {
      for await (const n of feed) {
        held.push(n);
        if (n.seq >= last.seq) break;
      }
    } finally {
      clearTimeout(giveUp);
      await feed.close();
    }
    return held;
  }

  /** The latest notification of one migration, with its sequence; null when the stream holds none. */
  async lastOf(migrationId: string): Promise<StreamedNotification | null> {
    try {
      const m = await this.stream.jsm.streams.getMessage(this.stream.settings.name, { last_by_subj: this.stream.subjectOf(migrationId) });
      return { seq: m.seq, notification: notificationCodec.decode(m.data), pending: 0 };
    } catch (err) {
      if ((err as NatsError).api_error?.err_code === NO_MESSAGE_FOUND) return null;
      throw err;
    }
  }
}

function feedOf(consumer: Consumer, messages: ConsumerMessages): Feed {
  return {
    async *[Symbol.asyncIterator]() {
      for await (const m of messages) yield { seq: m.seq, notification: notificationCodec.decode(m.data), pending: m.info.pending };
    },
    async close() {
      await messages.close();
      await consumer.delete().catch(() => undefined);
    },
  };
}
