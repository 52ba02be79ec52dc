import { Client } from 'pg';
import { Logger } from 'pino';
import { MigrationChangeNotice } from '@volume/contracts';
import { MIGRATION_CHANGE_CHANNEL, MIGRATION_RELAY_LOCK } from '@volume/persistence';

const RECONNECT_MS = 1_000;

/**
 * PostgreSQL's own keepalive on the connection: a relay cut off without a word (its host gone, the
 * network split) loses the lock in about half a minute rather than the system's two hours.
 * (Ignored on a Unix socket, where a dead peer is seen at once.)
 */
const SERVER_KEEPALIVE = 'SET tcp_keepalives_idle = 10; SET tcp_keepalives_interval = 5; SET tcp_keepalives_count = 3';

export interface ChangeListenerHandlers {
  onNotice(notice: MigrationChangeNotice): void;
  /** It leads (again): what was announced while no relay listened can be caught up. */
  onLeading(): void;
  /** Its connection went, and the lock with it: another replica may lead now. */
  onFollowing(): void;
}

/**
 * One connection of its own (a pooled one would be handed back and lose its lock and LISTEN) that
 * competes for the relay lock, a session advisory lock, every `retryMs`, and LISTENs for the row
 * changes PostgreSQL announces only while it holds it: one replica hears and relays them, however
 * many run. PostgreSQL frees the lock when the connection ends, whether the replica stopped,
 * crashed or lost the database; another then takes it. A lost connection is made again a second
 * later, and competes like any other.
 */
export class MigrationChangeListener {
  private client: Client | null = null;
  private leading = false;
  private stopped = false;
  private retry: NodeJS.Timeout | null = null;

  constructor(
    private readonly url: string,
    private readonly retryMs: number,
    private readonly handlers: ChangeListenerHandlers,
    private readonly log: Logger,
  ) {}

  get isLeader(): boolean {
    return this.leading;
  }

  async start(): Promise<void> {
    const client = new Client({ connectionString: this.url, keepAlive: true, application_name: 'volume-api:migration-event-relay' });
    client.on('notification', (n) => {
      if (n.channel !== MIGRATION_CHANGE_CHANNEL || !n.payload) return;
      try {
        this.handlers.onNotice(JSON.parse(n.payload) as MigrationChangeNotice);
      } catch (err) {
        this.log.warn({ err, payload: n.payload }, 'an undecodable migration change announcement was ignored');
      }
    });
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client));
    this.client = client;
    await client.connect();
    await client.query(SERVER_KEEPALIVE);
    await this.compete(client);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.leading = false;
    if (this.retry) clearTimeout(this.retry);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  /** Takes the lock when it is free, then listens; else tries again later, on the same connection. */
  private async compete(client: Client): Promise<void> {
    this.retry = null;
    const { rows } = await client.query<{ leader: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS leader', [...MIGRATION_RELAY_LOCK]);
    // Stopped or lost meanwhile: the connection's end frees the lock if it was taken.
    if (this.client !== client) return;
    if (!rows[0].leader) {
      this.retry = setTimeout(() => this.compete(client).catch((err: Error) => this.lost(client, err)), this.retryMs);
      return;
    }
    await client.query(`LISTEN ${MIGRATION_CHANGE_CHANNEL}`);
    this.leading = true;
    this.log.info('this replica relays the migration events now');
    this.handlers.onLeading();
  }

  private lost(client: Client, err?: Error): void {
    if (this.stopped || this.client !== client) return;
    this.client = null;
    if (this.retry) clearTimeout(this.retry);
    this.log.warn({ err: err?.message }, 'the migration change listener lost PostgreSQL; trying again shortly');
    if (this.leading) {
      this.leading = false;
      this.handlers.onFollowing();
    }
    void client.end().catch(() => undefined);
    this.retry = setTimeout(() => {
      this.retry = null;
      this.start().catch((e) => this.lost(this.client ?? client, e as Error));
    }, RECONNECT_MS);
  }
}
