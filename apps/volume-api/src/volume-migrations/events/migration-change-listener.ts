import { Client } from 'pg';
import { Logger } from 'pino';
import { MigrationChangeNotice } from '@volume/contracts';
import { MIGRATION_CHANGE_CHANNEL } from '@volume/persistence';

const RECONNECT_MS = 1_000;

/**
 * One connection of its own that LISTENs for the row changes PostgreSQL announces (a pooled one
 * would be handed back and lose its LISTEN). A lost connection is made again a second later;
 * what was announced meanwhile reaches this replica no more: the other replicas relay it, and
 * `onListening` lets the relay catch up on the endings.
 */
export class MigrationChangeListener {
  private client: Client | null = null;
  private stopped = false;
  private retry: NodeJS.Timeout | null = null;

  constructor(
    private readonly url: string,
    private readonly onNotice: (notice: MigrationChangeNotice) => void,
    private readonly log: Logger,
    /** Each time it listens (again): what it may have missed can be caught up. */
    private readonly onListening: () => void = () => undefined,
  ) {}

  async start(): Promise<void> {
    const client = new Client({ connectionString: this.url });
    client.on('notification', (n) => {
      if (n.channel !== MIGRATION_CHANGE_CHANNEL || !n.payload) return;
      try {
        this.onNotice(JSON.parse(n.payload) as MigrationChangeNotice);
      } catch (err) {
        this.log.warn({ err, payload: n.payload }, 'an undecodable migration change announcement was ignored');
      }
    });
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client));
    this.client = client;
    await client.connect();
    await client.query(`LISTEN ${MIGRATION_CHANGE_CHANNEL}`);
    this.onListening();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  private lost(client: Client, err?: Error): void {
    if (this.stopped || this.client !== client) return;
    this.client = null;
    this.log.warn({ err: err?.message }, 'the migration change listener lost PostgreSQL; listening again shortly');
    void client.end().catch(() => undefined);
    this.retry = setTimeout(() => {
      this.retry = null;
      this.start().catch((e) => this.lost(this.client ?? client, e as Error));
    }, RECONNECT_MS);
  }
}
