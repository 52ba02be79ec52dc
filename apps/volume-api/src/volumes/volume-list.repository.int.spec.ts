import { DataSource, In } from 'typeorm';
import { Caller } from '@volume/auth';
import { ApiVersion } from '@volume/microversion';
import { createDataSource, VolumeEntity } from '@volume/persistence';
import { createTestDatabase, TestDatabase } from '@volume/testing';
import { AuthedContext } from '../http/request-context';
import { VolumeListRepository } from './volume-list.repository';
import { parseListRequest } from './volume-requests';

// GET /volumes(/detail) against a real PostgreSQL holding enough volumes for its planner to choose
// as it would at scale: every statement the list sends, captured from the repository as the API
// builds it, is planned without a sequential scan of `volumes` (the indexes of the
// VolumeListIndexes migration); and pages walked with `marker` give exactly the order Cinder's
// SQL gives (NULL names first ascending, ties broken by created_at then id).

const PROJECT = 'p-list';
const VOLUMES = 20_000;
const member: Caller = { userId: 'u1', projectId: PROJECT, roles: ['member'], isAdmin: false, isService: false };
const admin: Caller = { userId: 'admin', projectId: PROJECT, roles: ['admin'], isAdmin: true, isService: false };

let db: TestDatabase;
let ds: DataSource;
let repo: VolumeListRepository;
let markerId: string;

/**
 * 20,000 volumes: every 10th in PROJECT, the rest in 90 other projects. Names repeat and every 20th
 * has none; every 4 share a created_at (with microseconds, which a JavaScript Date would lose);
 * every 3rd was never updated; a fifth carry `tier` metadata, `gold` on 1 in 1,000 volumes (a
 * selective filter: for one that matches a large share, reading the whole table is rightly cheaper
 * to PostgreSQL, at any size); a few are migrations' destinations.
 */
async function seed(): Promise<void> {
  await ds.query(`
    INSERT INTO volumes (id, project_id, user_id, display_name, size, status, migration_status, host,
                         availability_zone, volume_type_id, created_at, updated_at)
    SELECT gen_random_uuid(),
           CASE WHEN i % 10 = 0 THEN '${PROJECT}' ELSE 'p-other-' || (i % 90) END,
           'u1',
           CASE WHEN i % 20 = 0 THEN NULL ELSE 'vol-' || (i % 700) END,
           1 + (i * 37) % 50,
           (ARRAY['available', 'available', 'available', 'in-use', 'error'])[1 + (i * 7) % 5],
           CASE WHEN i % 997 = 0 THEN 'target:' || gen_random_uuid() END,
           'list-host@file#pool1',
           'nova',
           (SELECT id FROM volume_types WHERE name = '__DEFAULT__'),
           timestamptz '2026-01-01' + (i / 4) * interval '1.000001 second',
           CASE WHEN i % 3 = 0 THEN NULL ELSE timestamptz '2026-06-01' + (i % 500) * interval '1 minute' END
      FROM generate_series(1, ${VOLUMES}) AS i`);
  await ds.query(`
    INSERT INTO volume_metadata (volume_id, key, value)
    SELECT id, 'tier', CASE WHEN n % 1000 = 0 THEN 'gold' ELSE 'tier-' || n % 7 END
      FROM (SELECT id, row_number() OVER (ORDER BY created_at, id) AS n FROM volumes) AS numbered
     WHERE n % 5 = 0`);
  // What autovacuum does after a bulk insert: statistics for the planner, and the visibility map
  // that lets it read a page of ids from an index alone.
  await ds.query('VACUUM (ANALYZE) volumes');
  await ds.query('VACUUM (ANALYZE) volume_metadata');
}

beforeAll(async () => {
  db = await createTestDatabase('volume_list');
  ds = await createDataSource({ url: db.url, poolSize: 2, connectTimeoutMs: 10_000 }).initialize();
  repo = new VolumeListRepository(ds);
  await seed();
  [{ id: markerId }] = await ds.query(`SELECT id FROM volumes WHERE project_id = $1 AND display_name IS NOT NULL ORDER BY created_at OFFSET 700 LIMIT 1`, [PROJECT]);
}, 120_000);

afterAll(async () => {
  await ds?.destroy();
  await db?.drop();
});

function ctxOf(caller: Caller): AuthedContext {
  return { requestId: 'req-test', version: ApiVersion.parse('3.66'), caller, baseUrl: 'http://127.0.0.1:8776' };
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

function flatten(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(flatten)];
}

/** How PostgreSQL reads `volumes` and `volume_metadata` in the statement the query builder would send. */
async function tableScans(qb: { getQueryAndParameters(): [string, unknown[]] }): Promise<string[]> {
  const [sql, params] = qb.getQueryAndParameters();
  const [{ 'QUERY PLAN': [plan] }] = await ds.query(`EXPLAIN (FORMAT JSON) ${sql}`, params);
  return flatten(plan.Plan)
    .filter((n) => n['Relation Name'] === 'volumes' || n['Relation Name'] === 'volume_metadata')
    .map((n) => `${n['Node Type']} ${n['Relation Name']}${n['Index Name'] ? ` ${n['Index Name']}` : ''}`);
}

const SORTS = ['created_at:desc', 'created_at:asc', 'name:asc', 'name:desc', 'size:asc', 'size:desc', 'status:asc', 'status:desc'];
const FILTERS: Record<string, string>[] = [{}, { status: 'available' }, { metadata: '{"tier":"gold"}' }];
const SCOPES: [string, Caller, Record<string, string>][] = [
  ['a member, in their project', member, {}],
  ['an admin, all_tenants=1', admin, { all_tenants: '1' }],
];
const PAGES: [string, () => Record<string, string>][] = [
  ['the first page', () => ({})],
  ['a page after a marker', () => ({ marker: markerId })],
];

describe('GET /volumes/detail at scale: no sequential scan of volumes or their metadata', () => {
  describe.each(SCOPES)('as %s', (_who, caller, scope) => {
    it.each(FILTERS.map((f) => [JSON.stringify(f), f] as const))('when filtered by %s, then the with_count count reads an index', async (_name, filter) => {
      const spec = await parseListRequest({ ...scope, ...filter, with_count: 'true' }, ctxOf(caller), 1000);
      const scans = await tableScans(repo.countQuery(caller, spec));
      expect(scans.length).toBeGreaterThan(0);
      expect(scans.filter((s) => s.startsWith('Seq Scan'))).toEqual([]);
    });

    const shapes = SORTS.flatMap((sort) => FILTERS.flatMap((filter) => PAGES.map(([page, marker]) => [sort, JSON.stringify(filter), page, filter, marker] as const)));
    it.each(shapes)('when sorted by %s, filtered by %s, then %s reads an index in order', async (sort, _name, _page, filter, marker) => {
      const spec = await parseListRequest({ ...scope, ...filter, ...marker(), sort, limit: '1000' }, ctxOf(caller), 1000);
      const scans = await tableScans(await repo.pageQuery(caller, spec));
      expect(scans.length).toBeGreaterThan(0);
      expect(scans.filter((s) => s.startsWith('Seq Scan'))).toEqual([]);
    });
  });

  it.each(SCOPES)('as %s, when filtered by metadata in the default order, then a page is a range of the metadata\'s list index', async (_who, caller, scope) => {
    const spec = await parseListRequest({ ...scope, metadata: '{"tier":"gold"}', marker: markerId, limit: '1000' }, ctxOf(caller), 1000);
    const scans = await tableScans(await repo.pageQuery(caller, spec));
    const index = caller === admin ? 'ix_volume_metadata_list' : 'ix_volume_metadata_project_list';
    expect(scans.filter((s) => s.includes('volume_metadata'))).toEqual([`Index Only Scan volume_metadata ${index}`]);
  });

  // 100 ids: a full page of 1,000 is 5 % of this table, where reading it whole is cheaper; at scale a page is far less.
  it('when a page is loaded with its relations, then the volumes are read by primary key', async () => {
    const ids: { id: string }[] = await ds.query(`SELECT id FROM volumes WHERE project_id = $1 LIMIT 100`, [PROJECT]);
    const scans = await tableScans(repo.itemQueries(ds.manager, ids.map((r) => r.id)).volumes);
    expect(scans.length).toBeGreaterThan(0);
    expect(scans.filter((s) => s.startsWith('Seq Scan'))).toEqual([]);
  });
});

/** Cinder's order of the same sort (MySQL: NULL is the smallest value), as an independent oracle. */
const ORACLE: Record<string, string> = {
  'created_at:desc': 'created_at DESC, id DESC',
  'name:asc': 'display_name ASC NULLS FIRST, created_at ASC, id ASC',
  'name:desc': 'display_name DESC NULLS LAST, created_at DESC, id DESC',
  'size:asc': 'size ASC, created_at ASC, id ASC',
  'status:desc': 'status DESC, created_at DESC, id DESC',
  'updated_at:asc': 'updated_at ASC NULLS FIRST, created_at ASC, id ASC',
  'name:asc,size:desc': 'display_name ASC NULLS FIRST, size DESC, created_at ASC, id ASC',
  'size:desc,name:asc': 'size DESC, display_name ASC NULLS FIRST, created_at DESC, id DESC',
};

describe('GET /volumes/detail pages walked with marker', () => {
  it.each(Object.entries(ORACLE))('when sorted by %s, then the pages give every visible volume once, in Cinder order', async (sort, orderBy) => {
    const expected: string[] = (
      await ds.query(
        `SELECT id FROM volumes WHERE project_id = $1 AND (migration_status IS NULL OR migration_status NOT LIKE 'target:%') ORDER BY ${orderBy}`,
        [PROJECT],
      )
    ).map((r: { id: string }) => r.id);
    const seen: string[] = [];
    let marker: string | undefined;
    for (;;) {
      const spec = await parseListRequest({ sort, limit: '173', ...(marker ? { marker } : {}) }, ctxOf(member), 1000);
      const ids = ((await (await repo.pageQuery(member, spec)).getRawMany()) as { id: string }[]).map((r) => r.id);
      seen.push(...ids);
      if (ids.length < 173) break;
      marker = ids[ids.length - 1];
    }
    expect(seen).toEqual(expected);
  });

  it.each(SCOPES)('as %s, when filtered by metadata, then the pages give every matching volume once, newest first, and with_count counts them', async (_who, caller, scope) => {
    const seesAll = caller === admin;
    const expected: string[] = (
      await ds.query(
        `SELECT id FROM volumes v WHERE ($1 OR project_id = $2) AND ($1 OR migration_status IS NULL OR migration_status NOT LIKE 'target:%')
            AND EXISTS (SELECT 1 FROM volume_metadata m WHERE m.volume_id = v.id AND m.key = 'tier' AND m.value = 'tier-3')
          ORDER BY created_at DESC, id DESC`,
        [seesAll, PROJECT],
      )
    ).map((r: { id: string }) => r.id);
    const seen: string[] = [];
    let marker: string | undefined;
    for (;;) {
      const spec = await parseListRequest({ ...scope, metadata: '{"tier":"tier-3"}', limit: '50', ...(marker ? { marker } : {}) }, ctxOf(caller), 1000);
      const ids = ((await (await repo.pageQuery(caller, spec)).getRawMany()) as { id: string }[]).map((r) => r.id);
      seen.push(...ids);
      if (ids.length < 50) break;
      marker = ids[ids.length - 1];
    }
    expect(expected.length).toBeGreaterThan(50);
    expect(seen).toEqual(expected);
    const spec = await parseListRequest({ ...scope, metadata: '{"tier":"tier-3"}', with_count: 'true' }, ctxOf(caller), 1000);
    expect(Number((await repo.countQuery(caller, spec).getRawOne<{ count: string }>())?.count)).toBe(expected.length);
  });

  it('when a volume moves to another project, then a metadata filter finds it in that project only (its metadata rows follow it)', async () => {
    const [{ id }] = await ds.query(
      `INSERT INTO volumes (id, project_id, user_id, size, status, availability_zone, volume_type_id, created_at)
       VALUES (gen_random_uuid(), 'p-from', 'u1', 1, 'available', 'nova', (SELECT id FROM volume_types WHERE name = '__DEFAULT__'), now())
       RETURNING id`,
    );
    await ds.query(`INSERT INTO volume_metadata (volume_id, key, value) VALUES ($1, 'moving', 'yes')`, [id]);
    await ds.query(`UPDATE volumes SET project_id = 'p-to' WHERE id = $1`, [id]);
    const pageOf = async (projectId: string) => {
      const caller: Caller = { ...member, projectId };
      const spec = await parseListRequest({ metadata: '{"moving":"yes"}' }, ctxOf(caller), 1000);
      return ((await (await repo.pageQuery(caller, spec)).getRawMany()) as { id: string }[]).map((r) => r.id);
    };
    expect(await pageOf('p-to')).toEqual([id]);
    expect(await pageOf('p-from')).toEqual([]);
  });

  it('when a filtered page is asked with_count, then it holds the first volumes with their metadata, and the count all of them', async () => {
    const matching: { id: string }[] = await ds.query(
      `SELECT id FROM volumes v WHERE project_id = $1 AND status = 'available'
          AND (migration_status IS NULL OR migration_status NOT LIKE 'target:%')
          AND EXISTS (SELECT 1 FROM volume_metadata m WHERE m.volume_id = v.id AND m.key = 'tier' AND m.value = 'tier-3')
        ORDER BY created_at DESC, id DESC`,
      [PROJECT],
    );
    const spec = await parseListRequest({ status: 'available', metadata: '{"tier":"tier-3"}', with_count: 'true', limit: '5' }, ctxOf(member), 1000);
    const { items, count } = await repo.list(member, spec);
    expect(matching.length).toBeGreaterThan(5);
    expect(count).toBe(matching.length);
    expect(items.map((v) => v.id)).toEqual(matching.slice(0, 5).map((r) => r.id));
    for (const v of items) {
      expect(v.metadata?.map((m) => [m.key, m.value])).toEqual([['tier', 'tier-3']]);
      expect(v.attachments).toEqual([]);
      expect(v.volumeType?.name).toBe('__DEFAULT__');
    }
    // The page's entities are what TypeORM itself builds from the same rows.
    const typeorm = await ds.getRepository(VolumeEntity).find({ where: { id: In(items.map((v) => v.id)) }, relations: { metadata: true, attachments: true, volumeType: true } });
    expect(new Map(items.map((v) => [v.id, v]))).toEqual(new Map(typeorm.map((v) => [v.id, v])));
  });

  it('when a page is asked with_count, then the count is asked before the page has been read (side by side, not one after the other)', async () => {
    const pageQuery = repo.pageQuery.bind(repo);
    const countQuery = repo.countQuery.bind(repo);
    let countAsked = false;
    let countAskedBeforePage: boolean | undefined;
    const page = jest.spyOn(repo, 'pageQuery').mockImplementation(async (...args) => {
      // Held until the count is asked, or 5 s: one after the other, the count would wait for this.
      for (const until = Date.now() + 5000; !countAsked && Date.now() < until; ) await new Promise((r) => setTimeout(r, 10));
      countAskedBeforePage = countAsked;
      return pageQuery(...args);
    });
    const count = jest.spyOn(repo, 'countQuery').mockImplementation((...args) => {
      countAsked = true;
      return countQuery(...args);
    });
    try {
      const spec = await parseListRequest({ with_count: 'true', limit: '3' }, ctxOf(member), 1000);
      const { items, count: counted } = await repo.list(member, spec);
      expect(countAskedBeforePage).toBe(true);
      expect(items).toHaveLength(3);
      const [{ n }] = await ds.query(
        `SELECT COUNT(*)::int AS n FROM volumes WHERE project_id = $1 AND (migration_status IS NULL OR migration_status NOT LIKE 'target:%')`,
        [PROJECT],
      );
      expect(counted).toBe(n);
    } finally {
      page.mockRestore();
      count.mockRestore();
    }
  });
});
