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
