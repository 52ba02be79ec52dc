import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ErrorCode, QuotaLimits, quotaDefaults } from '@volume/domain';
import { createTestDatabase, TestDatabase } from '@volume/testing';
import { createDataSource } from '../data-source';
import { Quotas1764302400000 } from '../migrations/1764302400000-quotas';
import { HOST_A } from '../../test/transition-fixtures';
import { reserveDestination } from './migration-destination';
import { markDestinationDeleting } from './migration-failure';
import { destroyProjectQuotas, readProjectQuotas, setProjectQuotas } from './quota';
import { destroyBackendDeleted } from './volume-backend';
import { createVolumeRecord, createVolumeRecords, failStaleCreates, markCreateFailed, recordVolumePlacement, requestVolumeDelete } from './volume-lifecycle';

const DEFAULTS = quotaDefaults({ volumes: 10, gigabytes: 1000, perVolumeGigabytes: -1 });

describe('quotas kept by the volume transitions (real PostgreSQL)', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let typeId: string;

  beforeAll(async () => {
    db = await createTestDatabase('quota');
    // As many connections as the racing creates, so that all of them really run at once.
    ds = createDataSource({ url: db.url, poolSize: 21, applicationName: 'quota-spec' });
    await ds.initialize();
    [{ id: typeId }] = await ds.query(`SELECT id FROM volume_types WHERE name = '__DEFAULT__'`);
  });

  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  const project = () => `p-${randomUUID()}`;

  async function create(projectId: string, size = 1, defaults: QuotaLimits = DEFAULTS): Promise<string> {
    const id = randomUUID();
    const volume = { id, projectId, userId: 'u', displayName: null, displayDescription: null, size, availabilityZone: 'nova', volumeTypeId: typeId, metadata: {} };
    await createVolumeRecord(ds.manager, volume, defaults);
    return id;
  }

  /** Placed, made and marked `deleting`, as a volume is once its delete was accepted. */
  async function placedAndDeleting(id: string): Promise<void> {
    await recordVolumePlacement(ds.manager, id, HOST_A);
    await ds.query(`UPDATE volumes SET status = 'available' WHERE id = $1`, [id]);
    expect(await requestVolumeDelete(ds.manager, id)).toEqual({ destroyed: false, host: HOST_A });
  }

  const usage = async (projectId: string) => (await readProjectQuotas(ds.manager, projectId)).usage;

  /** Every project's usage rows against a count of the volumes that count, from scratch. */
  async function drift(): Promise<unknown[]> {
    return ds.query(`
      SELECT coalesce(u.project_id, c.project_id) AS project_id, u.volumes AS kept_volumes, c.volumes, u.gigabytes AS kept_gigabytes, c.gigabytes
        FROM (SELECT project_id, sum(in_use) FILTER (WHERE resource = 'volumes')::int AS volumes,
                     sum(in_use) FILTER (WHERE resource = 'gigabytes')::int AS gigabytes
                FROM quota_usages GROUP BY project_id) u
        FULL JOIN (SELECT project_id, count(*)::int AS volumes, sum(size)::int AS gigabytes FROM volumes WHERE use_quota GROUP BY project_id) c
          ON c.project_id = u.project_id
       WHERE coalesce(u.volumes, 0) <> coalesce(c.volumes, 0) OR coalesce(u.gigabytes, 0) <> coalesce(c.gigabytes, 0)`);
  }

  it('when 20 creates race against a quota of 10 volumes, then exactly 10 are made and 10 refused with Cinder\'s 413 text', async () => {
    const p = project();
    const outcomes = await Promise.allSettled(Array.from({ length: 20 }, () => create(p)));
    const made = outcomes.filter((o) => o.status === 'fulfilled');
    const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(made).toHaveLength(10);
    expect(refused).toHaveLength(10);
    for (const r of refused) {
      expect(r.reason).toMatchObject({ code: ErrorCode.OverLimit, message: "VolumeLimitExceeded: Maximum number of volumes allowed (10) exceeded for quota 'volumes'." });
    }
    const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM volumes WHERE project_id = $1`, [p]);
    expect(n).toBe(10);
    expect(await usage(p)).toEqual({ volumes: 10, gigabytes: 10 });
  });

  const newVolume = (projectId: string, size = 1) => ({
    id: randomUUID(),
    projectId,
    userId: 'u',
    displayName: null,
    displayDescription: null,
    size,
    availabilityZone: 'nova',
    volumeTypeId: typeId,
    metadata: {},
  });

  it('when a batch of creates is written together, then each is judged in turn as one at a time would: a refused one takes nothing and writes nothing', async () => {
    const p = project();
    const other = project();
    const limits = { ...DEFAULTS, volumes: 3, gigabytes: 6 };
    await create(p, 1, limits);
    const batch = [newVolume(p, 3), newVolume(other, 4), newVolume(p, 3), newVolume(p, 1), newVolume(p, 1)];
    const outcomes = await createVolumeRecords(ds.manager, batch, limits);
    // 1 + 3 = 4 GiB; 3 more would make 7 > 6; 1 more makes 5 GiB and 3 volumes; the next would make 4 volumes.
    expect(outcomes.map((o) => ('code' in o ? o.message : o.id))).toEqual([
      batch[0].id,
      batch[1].id,
      'VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed gigabytes quota. Requested 3G, quota is 6G and 4G has been consumed.',
      batch[3].id,
      "VolumeLimitExceeded: Maximum number of volumes allowed (3) exceeded for quota 'volumes'.",
    ]);
    const rows: { id: string }[] = await ds.query(`SELECT id FROM volumes WHERE id = ANY($1) ORDER BY size DESC`, [batch.map((v) => v.id)]);
    expect(rows.map((r) => r.id)).toEqual([batch[1].id, batch[0].id, batch[3].id]);
    expect(await usage(p)).toEqual({ volumes: 3, gigabytes: 5 });
    expect(await usage(other)).toEqual({ volumes: 1, gigabytes: 4 });
  });

  it('when batches of creates race single creates against a quota of 10 volumes, then exactly 10 are made', async () => {
    const p = project();
    const batches = Array.from({ length: 4 }, () => createVolumeRecords(ds.manager, Array.from({ length: 5 }, () => newVolume(p)), DEFAULTS));
    const singles = Array.from({ length: 5 }, () => create(p).then(() => 1, () => 0));
    const made = (await Promise.all(batches)).flat().filter((o) => !('code' in o)).length + (await Promise.all(singles)).reduce((a: number, b) => a + b, 0);
    expect(made).toBe(10);
    const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM volumes WHERE project_id = $1`, [p]);
    expect({ n, usage: await usage(p) }).toEqual({ n: 10, usage: { volumes: 10, gigabytes: 10 } });
  });

  it('when a limit is lowered while a batch of creates waits for the usage, then the batch is judged on the new limit', async () => {
    const p = project();
    await create(p);
    await setProjectQuotas(ds.manager, p, [{ resource: 'volumes', limit: 5, requested: 5 }]);
    // The update holds the project's usage while it writes the new limit: the batch waits, then reads it.
    const qr = ds.createQueryRunner();
    await qr.connect();
    await qr.startTransaction();
    await qr.query(`SELECT in_use FROM quota_usages WHERE project_id = $1 FOR UPDATE`, [p]);
    await qr.query(`UPDATE quotas SET hard_limit = 2 WHERE project_id = $1 AND resource = 'volumes'`, [p]);
    const batch = createVolumeRecords(ds.manager, [newVolume(p), newVolume(p), newVolume(p)], DEFAULTS);
    await new Promise((r) => setTimeout(r, 200));
    await qr.commitTransaction();
    await qr.release();
    expect((await batch).map((o) => ('code' in o ? o.code : 'made'))).toEqual(['made', ErrorCode.OverLimit, ErrorCode.OverLimit]);
    expect(await usage(p)).toEqual({ volumes: 2, gigabytes: 2 });
  });

  it('when a volume would pass the gigabytes or the per-volume limit, then it is refused and nothing is taken', async () => {
    const p = project();
    const limits = { ...DEFAULTS, gigabytes: 5, per_volume_gigabytes: 3 };
    await create(p, 3, limits);
    await expect(create(p, 4, limits)).rejects.toMatchObject({
      code: ErrorCode.OverLimit,
      message: 'VolumeSizeExceedsLimit: Requested volume size 4G is larger than maximum allowed limit 3G.',
    });
    await expect(create(p, 3, limits)).rejects.toMatchObject({
      code: ErrorCode.OverLimit,
      message: 'VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed gigabytes quota. Requested 3G, quota is 5G and 3G has been consumed.',
    });
    await create(p, 2, limits);
    expect(await usage(p)).toEqual({ volumes: 2, gigabytes: 5 });
  });

  it('when the project has limits of its own, then they bind instead of the defaults, until they are destroyed', async () => {
    const p = project();
    await setProjectQuotas(ds.manager, p, [{ resource: 'volumes', limit: 1, requested: 1 }]);
    await create(p);
    await expect(create(p)).rejects.toMatchObject({ code: ErrorCode.OverLimit });
    await destroyProjectQuotas(ds.manager, p);
    await create(p);
    expect(await usage(p)).toEqual({ volumes: 2, gigabytes: 2 });
  });

  it('when volumes are deleted, then their quota comes back as the row goes: at once when never placed, after the backend when placed', async () => {
    const p = project();
    const unplaced = await create(p, 2);
    const placed = await create(p, 3);
    expect(await requestVolumeDelete(ds.manager, unplaced)).toEqual({ destroyed: true });
    expect(await usage(p)).toEqual({ volumes: 1, gigabytes: 3 });
    await placedAndDeleting(placed);
    expect(await usage(p)).toEqual({ volumes: 1, gigabytes: 3 });
    expect(await destroyBackendDeleted(ds.manager, placed)).toBe(true);
    expect(await destroyBackendDeleted(ds.manager, placed)).toBe(false);
    expect(await usage(p)).toEqual({ volumes: 0, gigabytes: 0 });
  });

  it('when a create fails, then its quota comes back exactly once: not again on a second failure, nor when the error volume is deleted', async () => {
    const p = project();
    const unplaced = await create(p, 2);
    const placed = await create(p, 3);
    await recordVolumePlacement(ds.manager, placed, HOST_A);
    await markCreateFailed(ds.manager, unplaced);
    await markCreateFailed(ds.manager, unplaced);
    await markCreateFailed(ds.manager, placed);
    expect(await usage(p)).toEqual({ volumes: 0, gigabytes: 0 });
    const rows = await ds.query(`SELECT status, use_quota FROM volumes WHERE project_id = $1`, [p]);
    expect(rows).toEqual([
      { status: 'error', use_quota: false },
      { status: 'error', use_quota: false },
    ]);

    expect(await requestVolumeDelete(ds.manager, unplaced)).toEqual({ destroyed: true });
    expect(await requestVolumeDelete(ds.manager, placed)).toEqual({ destroyed: false, host: HOST_A });
    expect(await destroyBackendDeleted(ds.manager, placed)).toBe(true);
    expect(await usage(p)).toEqual({ volumes: 0, gigabytes: 0 });
  });

  it('when two failures of one create race, then the quota comes back once', async () => {
    const p = project();
    await create(p, 4);
    const id = await create(p, 1);
    await Promise.all([markCreateFailed(ds.manager, id), markCreateFailed(ds.manager, id), markCreateFailed(ds.manager, id)]);
    expect(await usage(p)).toEqual({ volumes: 1, gigabytes: 4 });
  });

  it('when stale creates are failed, then each gives its quota back', async () => {
    const p = project();
    const stale = await create(p, 2);
    await create(p, 1);
    await ds.query(`UPDATE volumes SET created_at = now() - interval '1 hour' WHERE id = $1`, [stale]);
    expect(await failStaleCreates(ds.manager, 600)).toContain(stale);
    expect(await usage(p)).toEqual({ volumes: 1, gigabytes: 1 });
  });

  it('when a migration reserves and drops its destination, then the project\'s usage never moves', async () => {
    const p = project();
    const source = await create(p, 5);
    await recordVolumePlacement(ds.manager, source, HOST_A);
    const [sourceRow] = await ds.query(`SELECT * FROM volumes WHERE id = $1`, [source]);
    const dest = await reserveDestination(
      ds.manager,
      { id: source, projectId: p, userId: 'u', displayName: null, displayDescription: null, size: 5, volumeTypeId: sourceRow.volume_type_id } as never,
      { poolHost: 'host-b@file#pool1', availabilityZone: 'nova' },
    );
    expect(await usage(p)).toEqual({ volumes: 1, gigabytes: 5 });
    expect(await markDestinationDeleting(ds.manager, { volumeId: source, destVolumeId: dest })).toBe(true);
    expect(await destroyBackendDeleted(ds.manager, dest)).toBe(true);
    expect(await usage(p)).toEqual({ volumes: 1, gigabytes: 5 });
  });

  it('when an update asks for less than the project uses, then Cinder\'s 400 where the project has a limit of its own, and nothing is written', async () => {
    const p = project();
    await create(p);
    await create(p);
    // No limit of its own yet: Cinder compares with no usage at all and lets it through.
    await setProjectQuotas(ds.manager, p, [{ resource: 'volumes', limit: 1, requested: 1 }]);
    await expect(
      setProjectQuotas(ds.manager, p, [
        { resource: 'gigabytes', limit: 100, requested: 100 },
        { resource: 'volumes', limit: 1, requested: 1 },
      ]),
    ).rejects.toMatchObject({
      code: ErrorCode.BadRequest,
      message: 'Quota volumes limit must be equal or greater than existing resources. Current usage is 2 and the requested limit is 1.',
    });
    expect((await readProjectQuotas(ds.manager, p)).own).toEqual({ volumes: 1 });
  });

  it('when creates, failed creates and deletes mix across projects, then every usage equals a recount of its volumes', async () => {
    const projects = [project(), project(), project()];
    const ids = await Promise.all(projects.flatMap((p, i) => Array.from({ length: 6 }, (_, j) => create(p, 1 + ((i + j) % 4)))));
    const ops = ids.map((id, i) => {
      if (i % 4 === 0) return markCreateFailed(ds.manager, id);
      if (i % 4 === 1) return requestVolumeDelete(ds.manager, id);
      if (i % 4 === 2) return placedAndDeleting(id).then(() => destroyBackendDeleted(ds.manager, id));
      return Promise.resolve();
    });
    await Promise.all([...ops, ...projects.map((p) => create(p, 2))]);
    for (const id of ids.filter((_, i) => i % 4 === 0)) await requestVolumeDelete(ds.manager, id);
    expect(await drift()).toEqual([]);
    const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM quota_usages WHERE project_id = ANY($1) AND in_use > 0`, [projects]);
    expect(n).toBeGreaterThan(0);
  });

  it('when the quota migration is applied to volumes already there, then it starts every usage from a recount', async () => {
    const p = project();
    await create(p, 3);
    const failed = await create(p, 1);
    await markCreateFailed(ds.manager, failed);
    const migration = new Quotas1764302400000();
    const runner = ds.createQueryRunner();
    try {
      await migration.down(runner);
      await migration.up(runner);
    } finally {
      await runner.release();
    }
    expect(await usage(p)).toEqual({ volumes: 1, gigabytes: 3 });
    expect(await drift()).toEqual([]);
  });
});
