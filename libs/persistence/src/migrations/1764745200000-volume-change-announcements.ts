import { MigrationInterface, QueryRunner } from 'typeorm';

/** The PostgreSQL channel every change of what GET volume shows is announced on (issue 13 §1). */
export const VOLUME_CHANGE_CHANNEL = 'volume_changes';

/** The payload that says "forget every volume": a statement that changed many, or a type. */
export const ALL_VOLUMES_CHANGED = '*';

/** Past this many rows in one statement, one announcement for all rather than one per volume. */
const MANY_ROWS = 100;

/** The tables GET volume reads, by the column that names the volume. */
const VOLUME_TABLES: [table: string, volumeColumn: string][] = [
  ['volumes', 'id'],
  ['volume_metadata', 'volume_id'],
  ['volume_attachments', 'volume_id'],
];

const EVENTS: [event: string, transition: string][] = [
  ['INSERT', 'NEW TABLE AS changed_rows'],
  ['UPDATE', 'NEW TABLE AS changed_rows'],
  ['DELETE', 'OLD TABLE AS changed_rows'],
];

/** Changes announced as `*`: a type's name is in every view of its volumes; TRUNCATE fires no row events. */
const WHOLESALE: [table: string, events: string][] = [
  ['volume_types', 'UPDATE OR DELETE OR TRUNCATE'],
  ['volumes', 'TRUNCATE'],
  ['volume_metadata', 'TRUNCATE'],
  ['volume_attachments', 'TRUNCATE'],
];

/**
 * Every statement that changes a volume's row, its metadata or its attachments announces, at
 * commit, the ids of the volumes it touched on `volume_changes` (a rename or removal of a volume
 * type, a TRUNCATE, or a statement of more than MANY_ROWS rows, announces `*`), whoever wrote it. The API's
 * read cache of GET volume (volume-read-cache.ts) forgets what is announced; no writer needs to
 * know of it. Statement triggers with transition tables: a bulk write (the scale bench's seed) pays
 * one announcement, not one per row. An UPDATE's new rows name the same volumes as its old ones:
 * no statement moves metadata or attachments from a volume to another.
 */
export class VolumeChangeAnnouncements1764745200000 implements MigrationInterface {
  name = 'VolumeChangeAnnouncements1764745200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION volume_changes_announce() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        many boolean;
      BEGIN
        SELECT count(*) > ${MANY_ROWS} INTO many FROM (SELECT 1 FROM changed_rows LIMIT ${MANY_ROWS + 1}) AS r;
        IF many THEN
          PERFORM pg_notify('${VOLUME_CHANGE_CHANNEL}', '${ALL_VOLUMES_CHANGED}');
        ELSE
          EXECUTE format('SELECT pg_notify(%L, v::text) FROM (SELECT DISTINCT %I AS v FROM changed_rows) AS d', '${VOLUME_CHANGE_CHANNEL}', TG_ARGV[0]);
        END IF;
        RETURN NULL;
      END $$`);
    for (const [table, column] of VOLUME_TABLES) {
      for (const [event, transition] of EVENTS) {
        await q.query(`
          CREATE TRIGGER tr_${table}_announce_${event.toLowerCase()} AFTER ${event} ON ${table}
            REFERENCING ${transition} FOR EACH STATEMENT EXECUTE FUNCTION volume_changes_announce('${column}')`);
      }
    }
    await q.query(`
      CREATE FUNCTION volume_changes_announce_all() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('${VOLUME_CHANGE_CHANNEL}', '${ALL_VOLUMES_CHANGED}');
        RETURN NULL;
      END $$`);
    for (const [table, events] of WHOLESALE) {
      await q.query(`CREATE TRIGGER tr_${table}_announce_all AFTER ${events} ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION volume_changes_announce_all()`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const [table] of WHOLESALE) await q.query(`DROP TRIGGER tr_${table}_announce_all ON ${table}`);
    await q.query(`DROP FUNCTION volume_changes_announce_all()`);
    for (const [table] of VOLUME_TABLES) {
      for (const [event] of EVENTS) await q.query(`DROP TRIGGER tr_${table}_announce_${event.toLowerCase()} ON ${table}`);
    }
    await q.query(`DROP FUNCTION volume_changes_announce()`);
  }
}
