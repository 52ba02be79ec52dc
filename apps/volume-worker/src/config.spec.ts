import { resolve } from 'node:path';
import { ConfigError } from '@volume/platform';
import { loadWorkerConfig } from './config';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadWorkerConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('configuration was accepted');
}

describe('volume-worker configuration', () => {
  it('when only VOLUME_HOST is set, then the defaults apply and the data directory is .data/<host>, absolute', () => {
    const cfg = loadWorkerConfig({ VOLUME_HOST: 'host-a' });
    expect(cfg).toMatchObject({
      VOLUME_HOST: 'host-a',
      VOLUME_BACKEND_NAME: 'file',
      VOLUME_DATA_DIR: resolve('.data/host-a'),
      VOLUME_POOLS: ['pool1', 'pool2'],
      VOLUME_POOL_CAPACITY_GB: 0,
      VOLUME_AVAILABILITY_ZONE: 'nova',
      VOLUME_RESERVED_PERCENTAGE: 0,
      VOLUME_MAX_OVER_SUBSCRIPTION_RATIO: 20,
    });
  });

  it('when VOLUME_DATA_DIR is relative, then it is resolved to an absolute path', () => {
    expect(loadWorkerConfig({ VOLUME_HOST: 'h', VOLUME_DATA_DIR: 'vols' }).VOLUME_DATA_DIR).toBe(resolve('vols'));
  });

  it('when VOLUME_HOST is missing, then the error says it is required', () => {
    expect(problemsOf({})).toEqual([expect.stringMatching(/^VOLUME_HOST is required/)]);
  });

  it.each(['host.a', 'host a', 'host@a', 'a/b', ''])(
    'when VOLUME_HOST is %j, then the error names it and the allowed characters',
    (host) => {
      expect(problemsOf({ VOLUME_HOST: host })).toEqual([
        `VOLUME_HOST=${JSON.stringify(host)} must be made only of letters, digits, '-' or '_'`,
      ]);
    },
  );

  it('when several variables are wrong, then every one of them is reported at once', () => {
    const problems = problemsOf({
      VOLUME_HOST: 'a.b',
      VOLUME_POOLS: 'pool1,../etc',
      VOLUME_RESERVED_PERCENTAGE: '101',
      VOLUME_MAX_OVER_SUBSCRIPTION_RATIO: '0.5',
      VOLUME_POOL_CAPACITY_GB: 'ten',
    });
    expect(problems).toHaveLength(5);
    for (const name of ['VOLUME_HOST', 'VOLUME_POOLS', 'VOLUME_RESERVED_PERCENTAGE', 'VOLUME_MAX_OVER_SUBSCRIPTION_RATIO', 'VOLUME_POOL_CAPACITY_GB']) {
      expect(problems.some((p) => p.startsWith(name))).toBe(true);
    }
  });

  it('when a pool is named twice or the list is empty, then it is refused', () => {
    expect(problemsOf({ VOLUME_HOST: 'h', VOLUME_POOLS: 'p,p' })).toEqual([expect.stringMatching(/names a pool twice/)]);
    expect(problemsOf({ VOLUME_HOST: 'h', VOLUME_POOLS: ' , ' })).toEqual(['VOLUME_POOLS must name at least one pool']);
  });

  it('when the over-subscription ratio is a decimal string, then it is parsed as a number', () => {
    expect(loadWorkerConfig({ VOLUME_HOST: 'h', VOLUME_MAX_OVER_SUBSCRIPTION_RATIO: '1.5' }).VOLUME_MAX_OVER_SUBSCRIPTION_RATIO).toBe(1.5);
  });

  it('when NATS_USER comes without NATS_PASSWORD, then the worker refuses to start as every app does', () => {
    expect(problemsOf({ VOLUME_HOST: 'host-a', NATS_USER: 'volume' })).toEqual(['NATS_USER is set without NATS_PASSWORD']);
  });

  it('when the error is printed, then it names the app', () => {
    expect(() => loadWorkerConfig({ VOLUME_HOST: 'a.b' })).toThrow(/^volume-worker: invalid configuration:\n {2}- VOLUME_HOST=/);
  });
});
