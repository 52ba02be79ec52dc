import type { INestApplicationContext } from '@nestjs/common';
import { createSchedulerApp } from '@volume/scheduler-app';
import { ADMIN, PROJECT, TestStack } from '@volume/testing-stack';

/**
 * Four pools of 5 GiB, no over-subscription: 20 GiB in all. Creates racing through the scheduler
 * (reservations in PostgreSQL, pools locked) must never place more than a pool holds.
 */
describe('placement under concurrent creates (real apps, PostgreSQL, NATS)', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await TestStack.start({ workerEnv: { VOLUME_POOL_CAPACITY_GB: '5', VOLUME_MAX_OVER_SUBSCRIPTION_RATIO: '1' } });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('when 28 one-GiB volumes are created at once, then 20 fit, the rest go to error, and no pool holds more than 5 GiB', async () => {
    const replies = await Promise.all(
      Array.from({ length: 28 }, (_, i) =>
        stack.request('POST', `/v3/${PROJECT}/volumes`, { headers: ADMIN, body: { volume: { size: 1, name: `c${i}` } } }),
      ),
    );
    expect(replies.every((r) => r.status === 202)).toBe(true);
    await stack.waitFor(
      async () => (await stack.sql(`SELECT count(*)::int AS n FROM volumes WHERE status IN ('creating')`))[0].n === 0,
      'every create to settle',
      30_000,
    );
    const byStatus = await stack.sql(`SELECT status, count(*)::int AS n FROM volumes GROUP BY status ORDER BY status`);
    expect(byStatus).toEqual([
      { status: 'available', n: 20 },
      { status: 'error', n: 8 },
    ]);
    const perPool = await stack.sql(`SELECT host, sum(size)::int AS gb FROM volumes WHERE host IS NOT NULL GROUP BY host`);
    expect(perPool).toHaveLength(4);
    for (const p of perPool) expect(p.gb).toBeLessThanOrEqual(5);
  });
});

/**
 * The same pools with two scheduler replicas taking the creates between them, each deciding its
 * share in batches (one transaction per batch, pools locked): volumes of 1, 2 and 3 GiB, 60 GiB
 * asked of 20. Whatever the two interleave, a volume went to error only when no pool had room for
 * it then, and the pools only filled up after, so at the end none has room for any of them.
 */
describe('placement by two schedulers under concurrent creates of mixed sizes (real apps, PostgreSQL, NATS)', () => {
  let stack: TestStack;
  let second: INestApplicationContext;

  beforeAll(async () => {
    stack = await TestStack.start({ workerEnv: { VOLUME_POOL_CAPACITY_GB: '5', VOLUME_MAX_OVER_SUBSCRIPTION_RATIO: '1' } });
    second = await createSchedulerApp({ ...stack.env, SCHEDULER_HOST: 'scheduler-2' });
  });

  afterAll(async () => {
    await second?.close();
    await stack?.stop();
  });

  it('when 30 volumes of 1-3 GiB are created at once, then no pool holds more than 5 GiB, none that failed would fit anywhere, and the usage counts the rest', async () => {
    const replies = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        stack.request('POST', `/v3/${PROJECT}/volumes`, { headers: ADMIN, body: { volume: { size: 1 + (i % 3), name: `m${i}` } } }),
      ),
    );
    expect(replies.every((r) => r.status === 202)).toBe(true);
    await stack.waitFor(
      async () => (await stack.sql(`SELECT count(*)::int AS n FROM volumes WHERE status = 'creating'`))[0].n === 0,
      'every create to settle',
      30_000,
    );
    const perPool: { host: string; gb: number }[] = await stack.sql(
      `SELECT p.name AS host, COALESCE((SELECT sum(size) FROM volumes v WHERE v.host = p.name), 0)::int AS gb FROM pools p`,
    );
    expect(perPool).toHaveLength(4);
    for (const p of perPool) expect(p.gb).toBeLessThanOrEqual(5);
    const failed: { size: number; host: string | null }[] = await stack.sql(`SELECT size, host FROM volumes WHERE status = 'error'`);
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.every((v) => v.host === null)).toBe(true);
    const smallestFailed = Math.min(...failed.map((v) => v.size));
    for (const p of perPool) expect(5 - p.gb).toBeLessThan(smallestFailed);
    const [{ n, gb }] = await stack.sql(`SELECT count(*)::int AS n, sum(size)::int AS gb FROM volumes WHERE status = 'available'`);
    const usage = await stack.sql(`SELECT resource, in_use::int AS in_use FROM quota_usages WHERE project_id = $1 ORDER BY resource`, [PROJECT]);
    expect(usage).toEqual([
      { resource: 'gigabytes', in_use: gb },
      { resource: 'volumes', in_use: n },
    ]);
  });
});
