import { crash, describeDrills } from './drill-suite';

/** A supervisor's restart delay: the peer notices the death before the worker is back. */
const RESTART_DELAY_MS = 2_000;

/** A storage host's worker crashes mid-copy (SIGKILL: no shutdown hook, no last checkpoint) and is started again (issue 17 §4). */
describeDrills('fault drills: a worker killed and restarted under a throttled migration (real processes)', (drills) => {
  drills.fault('when the source worker is SIGKILLed at 25 % of the copy and restarted, then the migration succeeds with the data intact', {
    name: 'source worker killed',
    fault: ({ stack, vol }) => crash(stack, vol.sourceHost, RESTART_DELAY_MS),
  });

  drills.fault('when the destination worker is SIGKILLed at 25 % of the copy and restarted, then the copy resumes and the migration succeeds', {
    name: 'destination worker killed',
    fault: ({ stack, vol }) => crash(stack, vol.destHost, RESTART_DELAY_MS),
  });
});
