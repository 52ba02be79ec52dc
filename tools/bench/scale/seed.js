'use strict';
// The list bench's volumes, written straight into the bench's database with generate_series (no
// API, no workers: only their rows matter to a list): LIST_VOLUMES in LIST_PROJECT, interleaved in
// time with OTHER_VOLUMES across OTHER_PROJECTS, as projects create volumes side by side.
const { log, fmt } = require('../common');
const { sql } = require('../stack');
const { LIST_PROJECT, LIST_VOLUMES, OTHER_VOLUMES, OTHER_PROJECTS } = require('./settings');

const TOTAL = LIST_VOLUMES + OTHER_VOLUMES;
/** Every STRIDE-th row is LIST_PROJECT's: 1,100,000 / 11 = 100,000. */
const STRIDE = TOTAL / LIST_VOLUMES;

/** A volume's id from its row number, so that its metadata can be written by number too. */
const ID_OF = (i) => `md5('scale-volume-' || ${i})::uuid`;

/**
 * Rows shaped like a cloud's: a name on 19 in 20 (names repeat across projects), sizes 1-100 GiB,
 * 70 % available, 20 % in-use, 10 % error, two volumes per created_at instant (with microseconds),
 * a third never updated, on hosts of their own (not the bench's pools, which they would fill).
 * A fifth carry `tier` metadata; `gold`, the filter measured, is on 1 volume in 50 (2 %).
 */
const VOLUMES_SQL = `
  INSERT INTO volumes (id, project_id, user_id, display_name, size, status, attach_status, host,
                       availability_zone, volume_type_id, bootable, created_at, updated_at)
  SELECT ${ID_OF('i')},
         CASE WHEN i % ${STRIDE} = 0 THEN $1 ELSE md5('scale-project-' || (i % ${OTHER_PROJECTS})) END,
         md5('scale-user-' || (i % 5000)),
         CASE WHEN i % 20 = 0 THEN NULL ELSE 'vol-' || lpad((i % 40000)::text, 5, '0') END,
         1 + (i::bigint * 7919) % 100,
         (ARRAY['available', 'available', 'available', 'available', 'available', 'available', 'available',
                'in-use', 'in-use', 'error'])[1 + (i * 31) % 10],
         CASE WHEN (i * 31) % 10 IN (7, 8) THEN 'attached' ELSE 'detached' END,
         'scale-host-' || (i % 4) || '@file#pool1',
         'nova',
         (SELECT id FROM volume_types WHERE name = '__DEFAULT__'),
         i % 7 = 0,
         timestamptz '2025-01-01' + (i / 2) * interval '1.000001 second',
         CASE WHEN i % 3 = 0 THEN NULL ELSE timestamptz '2025-06-01' + (i % 100000) * interval '1 second' END
    FROM generate_series(1, ${TOTAL}) AS i`;

const METADATA_SQL = `
  INSERT INTO volume_metadata (volume_id, key, value)
  SELECT ${ID_OF('i')}, 'tier', CASE WHEN i % 50 = 0 THEN 'gold' ELSE (ARRAY['silver', 'bronze', 'iron', 'lead'])[1 + (i / 5) % 4] END
    FROM generate_series(5, ${TOTAL}, 5) AS i`;

async function seedVolumes() {
  log(`seeding ${TOTAL.toLocaleString('en')} volumes (${LIST_VOLUMES.toLocaleString('en')} in project ${LIST_PROJECT}) straight into PostgreSQL`);
  let t0 = performance.now();
  await sql(VOLUMES_SQL, [LIST_PROJECT]);
  const volumesS = (performance.now() - t0) / 1000;
  // Statistics first: without them the foreign-key check of every metadata row would be planned
  // against an empty table (a sequential scan of a million rows per row).
  await sql('ANALYZE volumes');
  t0 = performance.now();
  await sql(METADATA_SQL);
  const metadataS = (performance.now() - t0) / 1000;
  // What autovacuum does after a bulk insert (this server may run without it): statistics, and the
  // visibility map that lets a page of ids come from an index alone.
  t0 = performance.now();
  await sql('VACUUM (ANALYZE) volumes');
  await sql('VACUUM (ANALYZE) volume_metadata');
  const vacuumS = (performance.now() - t0) / 1000;
  const [sizes] = await sql(
    `SELECT pg_relation_size('volumes') AS heap, pg_indexes_size('volumes') AS indexes, (SELECT count(*) FROM volume_metadata)::int AS metadata`,
  );
  log(`seeded in ${fmt(volumesS, 0)} s (+ metadata ${fmt(metadataS, 0)} s, VACUUM ANALYZE ${fmt(vacuumS, 0)} s); volumes: ${fmt(sizes.heap / 2 ** 20, 0)} MiB of rows, ${fmt(sizes.indexes / 2 ** 20, 0)} MiB of indexes`);
  return { total: TOTAL, listVolumes: LIST_VOLUMES, metadataRows: sizes.metadata, seconds: volumesS + metadataS + vacuumS, heapMiB: sizes.heap / 2 ** 20, indexMiB: sizes.indexes / 2 ** 20 };
}

module.exports = { seedVolumes };
