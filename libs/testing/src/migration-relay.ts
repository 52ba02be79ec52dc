import { Client } from 'pg';
import { MIGRATION_RELAY_LOCK } from '@volume/persistence';

const [CLASS_ID, OBJ_ID] = MIGRATION_RELAY_LOCK;

/** The backend process holding the migration event relay's lock in the database of `url`; null when none does. */
export async function migrationRelayHolder(url: string): Promise<number | null> {
  return withClient(url, async (c) => {
    const { rows } = await c.query<{ pid: number }>(
      `SELECT pid FROM pg_locks
        WHERE locktype = 'advisory' AND classid = $1 AND objid = $2 AND objsubid = 2 AND granted
          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      [CLASS_ID, OBJ_ID],
    );
    return rows[0]?.pid ?? null;
  });
}

/** Ends the relay's connection as a crash or a network cut would: PostgreSQL frees its lock at once. */
export async function killMigrationRelayConnection(url: string): Promise<void> {
  const pid = await migrationRelayHolder(url);
  if (pid === null) throw new Error('no API replica holds the migration event relay lock');
  await terminate(url, pid);
}

/**
 * Kills the relay's connection and keeps its lock for the test, so that no replica relays until
 * `release`: a connection of the test queues for the lock first (replicas only try it, they never
 * queue), so the lock passes to it, not to a replica.
 */
export async function seizeMigrationRelayLock(url: string): Promise<{ release(): Promise<void> }> {
  const own = new Client({ connectionString: url });
  await own.connect();
  const { rows } = await own.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  const taken = own.query('SELECT pg_advisory_lock($1, $2)', [CLASS_ID, OBJ_ID]);
  const deadline = Date.now() + 5_000;
  for (let pid = await migrationRelayHolder(url); pid !== rows[0].pid; pid = await migrationRelayHolder(url)) {
    if (Date.now() > deadline) throw new Error('the test could not take the relay lock');
    if (pid !== null && (await queued(url))) await terminate(url, pid);
    else await new Promise((r) => setTimeout(r, 20));
  }
  await taken;
  return { release: () => own.end() };
}

async function queued(url: string): Promise<boolean> {
  return withClient(url, async (c) => {
    const { rows } = await c.query(`SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND classid = $1 AND objid = $2 AND NOT granted`, [CLASS_ID, OBJ_ID]);
    return rows.length > 0;
  });
}

async function terminate(url: string, pid: number): Promise<void> {
  await withClient(url, (c) => c.query('SELECT pg_terminate_backend($1)', [pid]));
}

async function withClient<T>(url: string, use: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return await use(c);
  } finally {
    await c.end();
  }
}

/** An app's MetricsRegistry (libs/platform), as far as reading it goes. */
export interface MetricsReader {
  collect(): { name: string; samples: { value: number | null }[] }[];
}

/** What an API replica's metrics say of its relay: whether it leads, and how many notifications it published. */
export function migrationRelayFigures(metrics: MetricsReader): { leader: boolean; published: number } {
  const value = (name: string) => metrics.collect().find((f) => f.name === name)?.samples[0]?.value ?? 0;
  return { leader: value('volume_api_migration_event_relay_leader') === 1, published: value('volume_api_migration_events_published_total') };
}
