import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { Client } from 'pg';
import { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { LOGGER } from '@volume/platform';
import { ALL_VOLUMES_CHANGED, VOLUME_CHANGE_CHANNEL, VolumeEntity } from '@volume/persistence';
import { API_CONFIG } from '../api-config.token';
import type { ApiConfig } from '../config';
import { VolumeReader } from './volume.reader';

/** Volumes kept (~2 KiB each): the ones clients poll. */
const MAX_VOLUMES = 5_000;
/** A sync that takes longer lets the GETs waiting for it read PostgreSQL themselves. */
const SYNC_TIMEOUT_MS = 1_000;
const RECONNECT_MS = 1_000;

/** A read of PostgreSQL under way: an announcement of its volume meanwhile keeps its answer out of the cache. */
interface PendingRead {
  stale: boolean;
}

/**
 * GET volume's read, from memory while nothing announced a change of the volume (the triggers of
 * the VolumeChangeAnnouncements migration, whichever process or replica wrote). Never stale after
 * an acknowledged write, with any number of replicas: before it looks in the cache, a GET waits
 * for a round trip on the LISTEN connection sent after the GET arrived. PostgreSQL sends a session
 * the notifications of every transaction committed before its query ends ahead of the query's
 * answer, so a write acknowledged before the GET (committed, so announced) has been forgotten by
 * then. One round trip serves every GET that arrived before it was sent: a trivial query on one
 * connection per batch of GETs, instead of the read's four tables per GET. Without the LISTEN
 * connection (PostgreSQL away, starting), every GET reads PostgreSQL, as before.
 */
@Injectable()
export class VolumeReadCache implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly reader: VolumeReader;
  private readonly volumes = new LRUCache<string, VolumeEntity>({ max: MAX_VOLUMES });
  private readonly pending = new Map<string, Set<PendingRead>>();
  private client: Client | null = null;
  private listening = false;
  private stopped = false;
  private retry: NodeJS.Timeout | null = null;
  /** The sync sent and not answered yet, and the one the GETs that came since wait for (sent after it). */
  private inFlight: Promise<boolean> | null = null;
  private next: Promise<boolean> | null = null;

  constructor(
    ds: DataSource,
    @Inject(API_CONFIG) private readonly config: Pick<ApiConfig, 'DATABASE_URL'>,
    @Inject(LOGGER) private readonly log: Logger,
  ) {
    this.reader = new VolumeReader(ds);
  }

  async onApplicationBootstrap(): Promise<void> {
    // A start without PostgreSQL still starts: the GETs read it directly until the connection is made.
    await this.listen().catch((err: Error) => this.lost(this.client, err));
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    const client = this.client;
    this.drop();
    await client?.end().catch(() => undefined);
  }

  /**
   * The volume, or undefined, as VolumeReader reads it. The entity may be shared with other GETs:
   * read it, never change it.
   */
  async read(id: string): Promise<VolumeEntity | undefined> {
    if (!(await this.sync())) return this.reader.read(id);
    const cached = this.volumes.get(id);
    if (cached) return cached;
    const read: PendingRead = { stale: false };
    let reads = this.pending.get(id);
    if (!reads) this.pending.set(id, (reads = new Set()));
    reads.add(read);
    try {
      const volume = await this.reader.read(id);
      if (volume && !read.stale && this.listening) this.volumes.set(id, volume);
      return volume;
    } finally {
      reads.delete(read);
      if (reads.size === 0 && this.pending.get(id) === reads) this.pending.delete(id);
    }
  }

  /** True once a round trip sent after this call came back on the LISTEN connection; false without one. */
  private sync(): Promise<boolean> {
    if (!this.listening) return Promise.resolve(false);
    // Every GET of this turn of the event loop, and of those until the sync under way is answered,
    // shares the next one.
    this.next ??= this.sendable().then(() => {
      this.next = null;
      return (this.inFlight = this.roundTrip());
    });
    return this.next;
  }

  private async sendable(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    if (this.inFlight) await this.inFlight;
  }

  private roundTrip(): Promise<boolean> {
    const client = this.client;
    let timer: NodeJS.Timeout | undefined;
    const answered = client
      ? client.query('SELECT 1').then(
          () => this.client === client && this.listening,
          (err: Error) => {
            this.lost(client, err);
            return false;
          },
        )
      : Promise.resolve(false);
    const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(resolve, SYNC_TIMEOUT_MS, false)));
    const done = Promise.race([answered, timedOut]).then((ok) => {
      clearTimeout(timer);
      if (this.inFlight === done) this.inFlight = null;
      return ok;
    });
    return done;
  }

  private async listen(): Promise<void> {
    const client = new Client({ connectionString: this.config.DATABASE_URL, application_name: 'volume-api read cache' });
    this.client = client;
    client.on('notification', (n) => {
      if (n.channel === VOLUME_CHANGE_CHANNEL) this.forget(n.payload ?? ALL_VOLUMES_CHANGED);
    });
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client));
    await client.connect();
    await client.query(`LISTEN ${VOLUME_CHANGE_CHANNEL}`);
    if (this.client !== client || this.stopped) return;
    // What changed before the LISTEN was never announced here: start empty.
    this.forget(ALL_VOLUMES_CHANGED);
    this.listening = true;
  }

  private forget(id: string): void {
    if (id === ALL_VOLUMES_CHANGED) {
      this.volumes.clear();
      for (const reads of this.pending.values()) for (const r of reads) r.stale = true;
      return;
    }
    this.volumes.delete(id);
    for (const r of this.pending.get(id) ?? []) r.stale = true;
  }

  /** Stops serving from memory: what is announced while no connection listens is lost. */
  private drop(): void {
    this.listening = false;
    this.client = null;
    this.forget(ALL_VOLUMES_CHANGED);
  }

  private lost(client: Client | null, err?: Error): void {
    if (this.stopped || this.client !== client) return;
    this.drop();
    this.log.warn({ err: err?.message }, 'the volume read cache lost its PostgreSQL connection; GETs read PostgreSQL until it listens again');
    void client?.end().catch(() => undefined);
    this.retry = setTimeout(() => {
      this.retry = null;
      this.listen().catch((e: Error) => this.lost(this.client, e));
    }, RECONNECT_MS);
  }
}
