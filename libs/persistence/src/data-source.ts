import type { EventEmitter } from 'node:events';
import { DataSource } from 'typeorm';
import { COMPUTE_HOST_ENTITIES, ComputeHost1764136800000 } from './compute-host';
import { PoolEntity } from './entities/pool.entity';
import { QuotaEntity, QuotaUsageEntity } from './entities/quota.entity';
import { ServiceEntity } from './entities/service.entity';
import { VolumeAttachmentEntity } from './entities/volume-attachment.entity';
import { VolumeMetadataEntity } from './entities/volume-metadata.entity';
import { VolumeMigrationEntity } from './entities/volume-migration.entity';
import { VolumeEntity } from './entities/volume.entity';
import { VolumeTypeEntity, VolumeTypeExtraSpecEntity } from './entities/volume-type.entity';
import { InitialSchema1764043200000 } from './migrations/1764043200000-initial-schema';
import { VolumeMigrations1764050400000 } from './migrations/1764050400000-volume-migrations';
import { DriverMovePhase1764216000000 } from './migrations/1764216000000-driver-move-phase';
import { Quotas1764302400000 } from './migrations/1764302400000-quotas';
import { VolumeListIndexes1764388800000 } from './migrations/1764388800000-volume-list-indexes';
import { VolumeMetadataListOrder1764475200000 } from './migrations/1764475200000-volume-metadata-list-order';
import { VolumeMigrationResource1764561600000 } from './migrations/1764561600000-volume-migration-resource';
import { MigrationHistoryOutlivesVolume1764648000000 } from './migrations/1764648000000-migration-history-outlives-volume';
import { VolumeMigrationEvents1764651600000 } from './migrations/1764651600000-volume-migration-events';
import { MigrationEventRelay1764741600000 } from './migrations/1764741600000-migration-event-relay';
import { VolumeChangeAnnouncements1764745200000 } from './migrations/1764745200000-volume-change-announcements';
import { MigrationOwnLimitSeen1764748800000 } from './migrations/1764748800000-migration-own-limit-seen';
import { MigrationShownProgress1764752400000 } from './migrations/1764752400000-migration-shown-progress';

/** Listed as classes, not globs: the apps are bundled into one file each. */
export const ENTITIES = [
  VolumeEntity,
  VolumeMetadataEntity,
  VolumeTypeEntity,
  VolumeTypeExtraSpecEntity,
  VolumeAttachmentEntity,
  ServiceEntity,
  PoolEntity,
  VolumeMigrationEntity,
  QuotaEntity,
  QuotaUsageEntity,
  ...COMPUTE_HOST_ENTITIES,
];

/** One history for the volume service's tables and the compute host's, applied in order; each one reversible. */
export const MIGRATIONS = [InitialSchema1764043200000, VolumeMigrations1764050400000, ComputeHost1764136800000, DriverMovePhase1764216000000, Quotas1764302400000, VolumeListIndexes1764388800000, VolumeMetadataListOrder1764475200000, VolumeMigrationResource1764561600000, MigrationHistoryOutlivesVolume1764648000000, VolumeMigrationEvents1764651600000, MigrationEventRelay1764741600000, VolumeChangeAnnouncements1764745200000, MigrationOwnLimitSeen1764748800000, MigrationShownProgress1764752400000];

/**
 * How long a query waits for a connection, a new one or a free one of the pool. While PostgreSQL
 * is unreachable a request then fails (the API answers 503, a worker retries) instead of hanging:
 * under the API's one-second budget for that answer, far over what a connect takes on a live server.
 */
export const CONNECT_TIMEOUT_MS = 800;

export interface DataSourceSettings {
  url: string;
  /** Connections in the pool; small by default because every app is one small process. */
  poolSize?: number;
  applicationName?: string;
  /** Default CONNECT_TIMEOUT_MS. */
  connectTimeoutMs?: number;
  /** Told of each connection's failure (PostgreSQL stopped or restarted: 57P01, ECONNRESET); the pool replaces the connection. */
  onConnectionError?: (err: Error) => void;
}

/**
 * Every connection of the pool gets an error listener of its own for its whole life. pg-pool and
 * TypeORM each listen only at times (idle in the pool, held by a query runner), and a connection
 * checked out between the two (TypeORM's start-up checks hold one bare) that PostgreSQL ends emits an
 * `error` nobody hears, which ends the process. The pool still learns of the failure through its own
 * listeners, and drops the connection.
 */
function guardConnection(onError: (err: Error) => void): (client: EventEmitter) => void {
  return (client) => {
    client.on('error', onError);
  };
}

export function createDataSource(settings: DataSourceSettings): DataSource {
  return new DataSource({
    type: 'postgres',
    url: settings.url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    synchronize: false,
    migrationsRun: false,
    logging: false,
    applicationName: settings.applicationName,
    extra: {
      max: settings.poolSize ?? 10,
      connectionTimeoutMillis: settings.connectTimeoutMs ?? CONNECT_TIMEOUT_MS,
      onConnect: guardConnection(settings.onConnectionError ?? (() => undefined)),
    },
  });
}

/** The migrations `ds` knows that its database has not applied, by name, oldest first. */
export async function pendingMigrations(ds: DataSource): Promise<string[]> {
  const table = ds.options.migrationsTableName ?? 'migrations';
  const [{ present }] = await ds.query(`SELECT to_regclass($1) IS NOT NULL AS present`, [table]);
  const applied = new Set<string>(present ? (await ds.query(`SELECT name FROM "${table}"`)).map((r: { name: string }) => r.name) : []);
  return ds.migrations.map((m) => m.name ?? m.constructor.name).filter((name) => !applied.has(name));
}

/** Applies every pending migration; returns the names applied. */
export async function runMigrations(url: string): Promise<string[]> {
  // Not a request: a server still warming up is worth waiting for.
  const ds = createDataSource({ url, poolSize: 2, applicationName: 'migrate', connectTimeoutMs: 5_000 });
  await ds.initialize();
  try {
    const applied = await ds.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await ds.destroy();
  }
}
