import { DrillEnvironment } from '@volume/testing-stack';
import { COPY_BPS, DRILL_TIMEOUT_MS, expected, migrateWithFault, sleep, volumeWithData } from './migration-drill';

jest.setTimeout(DRILL_TIMEOUT_MS);

/** A supervisor's restart delay: the peer notices the death before the worker is back. */
const RESTART_DELAY_MS = 2_000;

/** A storage host's worker crashes mid-copy (SIGKILL: no shutdown hook, no last checkpoint) and is started again (issue 17 §4). */
describe('fault drills: a worker killed and restarted under a throttled migration (real processes)', () => {
  let env: DrillEnvironment;
  const workerEnv = { VOLUME_COPY_BPS_LIMIT: COPY_BPS };

  beforeAll(async () => {
    env = await DrillEnvironment.start();
  }, 600_000);

  afterAll(async () => {
    await env?.stop();
  });

  it('when the source worker is SIGKILLed at 25 % of the copy and restarted, then the migration succeeds with the data intact', () =>
    env.run('source worker killed', { workerEnv }, async (stack) => {
      const vol = await volumeWithData(stack);
      const result = await migrateWithFault(stack, vol, 25, async () => {
        await stack.kill(vol.sourceHost);
        await sleep(RESTART_DELAY_MS);
        await stack.restart(vol.sourceHost);
      });
      expect(result).toEqual(expected(vol));
    }));

  it('when the destination worker is SIGKILLed at 25 % of the copy and restarted, then the copy resumes and the migration succeeds', () =>
    env.run('destination worker killed', { workerEnv }, async (stack) => {
      const vol = await volumeWithData(stack);
      const result = await migrateWithFault(stack, vol, 25, async () => {
        await stack.kill(vol.destHost);
        await sleep(RESTART_DELAY_MS);
        await stack.restart(vol.destHost);
      });
      expect(result).toEqual(expected(vol));
    }));
});
