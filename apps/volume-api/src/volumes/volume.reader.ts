import type { Pool } from 'pg';
import { DataSource, EntityMetadata, ObjectLiteral, QueryFailedError } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata.js';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';
import { VolumeAttachmentEntity, VolumeEntity, VolumeMetadataEntity, VolumeTypeEntity } from '@volume/persistence';

/**
 * One volume with its type, metadata and attachments, in one row of four JSON columns. The join of
 * the query builder (`volumeQuery`) sends 57 columns, one row per metadata key per attachment, and
 * pg then describes all 57 columns on every execution and TypeORM regroups the rows: most of the
 * API's CPU per GET was there. Here PostgreSQL aggregates, pg parses four JSON values natively, and
 * the entities are filled from TypeORM's own column metadata, as its transformer does.
 */
export const VOLUME_READ_SQL = `SELECT row_to_json(v) AS v, row_to_json(vt) AS vt,
  (SELECT json_agg(m ORDER BY m.id) FROM volume_metadata m WHERE m.volume_id = v.id) AS meta,
  (SELECT json_agg(a ORDER BY a.created_at, a.id) FROM volume_attachments a WHERE a.volume_id = v.id) AS att
FROM volumes v LEFT JOIN volume_types vt ON vt.id = v.volume_type_id
WHERE v.id = $1`;

/** The statement's name: each pooled connection parses it once, then only binds and executes it. */
export const VOLUME_READ_STATEMENT = 'volume_get';

interface VolumeRow {
  v: ObjectLiteral;
  vt: ObjectLiteral | null;
  meta: ObjectLiteral[] | null;
  att: ObjectLiteral[] | null;
}

/** Fills an entity of one class from a JSON object keyed by column name (what `row_to_json` gives). */
class Hydrator<T> {
  private readonly columns: readonly ColumnMetadata[];

  constructor(
    private readonly metadata: EntityMetadata,
    private readonly driver: PostgresDriver,
  ) {
    this.columns = metadata.columns.filter((c) => !c.isVirtual && !c.isVirtualProperty);
  }

  /** As TypeORM's RawSqlResultsToEntityTransformer: the driver's hydration per column (Dates, booleans, transformers). */
  fill(json: ObjectLiteral): T {
    const entity = this.metadata.create(undefined, { fromDeserializer: true }) as T;
    for (const column of this.columns) {
      const value = json[column.databaseName];
      if (value !== undefined) column.setEntityValue(entity as ObjectLiteral, this.driver.prepareHydratedValue(value, column));
    }
    return entity;
  }
}

/** GET volume's read (`VolumesService.get`): one prepared statement, one row, no ORM query building. */
export class VolumeReader {
  private readonly volume: Hydrator<VolumeEntity>;
  private readonly type: Hydrator<VolumeTypeEntity>;
  private readonly metadata: Hydrator<VolumeMetadataEntity>;
  private readonly attachment: Hydrator<VolumeAttachmentEntity>;

  constructor(private readonly ds: DataSource) {
    const driver = ds.driver as PostgresDriver;
    this.volume = new Hydrator(ds.getMetadata(VolumeEntity), driver);
    this.type = new Hydrator(ds.getMetadata(VolumeTypeEntity), driver);
    this.metadata = new Hydrator(ds.getMetadata(VolumeMetadataEntity), driver);
    this.attachment = new Hydrator(ds.getMetadata(VolumeAttachmentEntity), driver);
  }

  /** The volume, or undefined. Never inside a transaction: writes go through the transitions, which lock what they judge. */
  async read(id: string): Promise<VolumeEntity | undefined> {
    const pool = (this.ds.driver as PostgresDriver).master as Pool;
    let rows: VolumeRow[];
    try {
      ({ rows } = await pool.query<VolumeRow>({ name: VOLUME_READ_STATEMENT, text: VOLUME_READ_SQL, values: [id] }));
    } catch (err) {
      throw new QueryFailedError(VOLUME_READ_SQL, [id], err as Error);
    }
    if (rows.length === 0) return undefined;
    const row = rows[0];
    const volume = this.volume.fill(row.v);
    // The foreign key makes the type always there; no metadata or attachments are empty lists, as the join gives.
    if (row.vt) volume.volumeType = this.type.fill(row.vt);
    volume.metadata = (row.meta ?? []).map((m) => this.metadata.fill(m));
    volume.attachments = (row.att ?? []).map((a) => this.attachment.fill(a));
    return volume;
  }
}
