import { TokenCache, tokenHash, TokenLookup } from './token-cache';

const SECOND = 1000;

function setup(overrides: { validTtlMs?: number; maxInvalid?: number; maxValid?: number } = {}) {
  let now = 1_000_000;
  const cache = new TokenCache<string>({
    validTtlMs: overrides.validTtlMs ?? 300 * SECOND,
    invalidTtlMs: 10 * SECOND,
    maxValid: overrides.maxValid ?? 100,
    maxInvalid: overrides.maxInvalid ?? 100,
    now: () => now,
  });
  const calls: string[] = [];
  const keystone = (answers: Record<string, TokenLookup<string>>) => (token: string) => async (): Promise<TokenLookup<string>> => {
    calls.push(token);
    return answers[token] ?? { valid: false };
  };
  return { cache, calls, keystone, advance: (ms: number) => (now += ms), now: () => now };
}

describe('TokenCache', () => {
  it('when a valid token is looked up again within the cache time, then Keystone is asked once', async () => {
    const { cache, calls, keystone, now } = setup();
    const ask = keystone({ t1: { valid: true, value: 'alice', expiresAt: now() + 3600 * SECOND } });
    expect(await cache.lookup('t1', ask('t1'))).toEqual({ valid: true, value: 'alice', expiresAt: now() + 3600 * SECOND });
    expect(await cache.lookup('t1', ask('t1'))).toMatchObject({ valid: true, value: 'alice' });
    expect(calls).toEqual(['t1']);
  });

  it('when the cache time has passed, then Keystone is asked again (a revoked token is refused from then on)', async () => {
    const { cache, calls, keystone, advance, now } = setup({ validTtlMs: 300 * SECOND });
    const expiresAt = now() + 3600 * SECOND;
    await cache.lookup('t1', keystone({ t1: { valid: true, value: 'alice', expiresAt } })('t1'));
    advance(300 * SECOND - 1);
    expect(await cache.lookup('t1', keystone({})('t1'))).toMatchObject({ valid: true });
    advance(1);
    expect(await cache.lookup('t1', keystone({})('t1'))).toEqual({ valid: false });
    expect(calls).toEqual(['t1', 't1']);
  });

  it('when the token expires before the cache time ends, then it is trusted only until it expires', async () => {
    const { cache, calls, keystone, advance, now } = setup({ validTtlMs: 300 * SECOND });
    const ask = keystone({ t1: { valid: true, value: 'alice', expiresAt: now() + 60 * SECOND } });
    await cache.lookup('t1', ask('t1'));
    advance(59 * SECOND);
    await cache.lookup('t1', ask('t1'));
    expect(calls).toEqual(['t1']);
    advance(SECOND);
    expect(await cache.lookup('t1', ask('t1'))).toEqual({ valid: false });
    expect(calls).toEqual(['t1', 't1']);
  });

  it('when Keystone calls a token valid that has already expired by this clock, then it is invalid', async () => {
    const { cache, keystone, now } = setup();
    expect(await cache.lookup('t1', keystone({ t1: { valid: true, value: 'alice', expiresAt: now() } })('t1'))).toEqual({ valid: false });
  });

  it('when the cache time is 0, then every lookup asks Keystone', async () => {
    const { cache, calls, keystone, now } = setup({ validTtlMs: 0 });
    const ask = keystone({ t1: { valid: true, value: 'alice', expiresAt: now() + 3600 * SECOND } });
    await cache.lookup('t1', ask('t1'));
    await cache.lookup('t1', ask('t1'));
    expect(calls).toEqual(['t1', 't1']);
  });

  it('when an invalid token comes again within 10 s, then Keystone is not asked; after, it is', async () => {
    const { cache, calls, keystone, advance } = setup();
    const ask = keystone({});
    expect(await cache.lookup('bad', ask('bad'))).toEqual({ valid: false });
    advance(10 * SECOND - 1);
    expect(await cache.lookup('bad', ask('bad'))).toEqual({ valid: false });
    expect(calls).toEqual(['bad']);
    advance(1);
    await cache.lookup('bad', ask('bad'));
    expect(calls).toEqual(['bad', 'bad']);
  });

  it('when many lookups of one token arrive together, then they share one validation', async () => {
    const { cache, now } = setup();
    let release!: (v: TokenLookup<string>) => void;
    const validate = jest.fn(() => new Promise<TokenLookup<string>>((resolve) => (release = resolve)));
    const lookups = Array.from({ length: 20 }, () => cache.lookup('t1', validate));
    release({ valid: true, value: 'alice', expiresAt: now() + 3600 * SECOND });
    const results = await Promise.all(lookups);
    expect(validate).toHaveBeenCalledTimes(1);
    expect(new Set(results.map((r) => JSON.stringify(r))).size).toBe(1);
  });

  it('when the shared validation fails (Keystone unavailable), then every waiter fails and nothing is remembered', async () => {
    const { cache, calls, keystone, now } = setup();
    const failing = jest.fn(() => Promise.reject(new Error('unavailable')));
    const both = await Promise.allSettled([cache.lookup('t1', failing), cache.lookup('t1', failing)]);
    expect(both.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(failing).toHaveBeenCalledTimes(1);
    expect(await cache.lookup('t1', keystone({ t1: { valid: true, value: 'alice', expiresAt: now() + SECOND * 60 } })('t1'))).toMatchObject({
      valid: true,
    });
    expect(calls).toEqual(['t1']);
  });

  it('when a flood of distinct bad tokens arrives, then the invalid entries stay bounded and valid tokens stay cached', async () => {
    const { cache, calls, keystone, now } = setup({ maxInvalid: 50 });
    const good = keystone({ good: { valid: true, value: 'alice', expiresAt: now() + 3600 * SECOND } });
    await cache.lookup('good', good('good'));
    for (let i = 0; i < 500; i++) await cache.lookup(`bad-${i}`, keystone({})(`bad-${i}`));
    expect(cache.size).toEqual({ valid: 1, invalid: 50 });
    await cache.lookup('good', good('good'));
    expect(calls.filter((t) => t === 'good')).toHaveLength(1);
  });

  it('when tokens are hashed for keys and logs, then the hash is sha256', () => {
    expect(tokenHash('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});
