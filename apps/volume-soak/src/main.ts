import { note } from './soak-client';
import { parseSoakOptions, SoakOptions, SoakUsageError, USAGE } from './soak-options';
import { runSoak, SoakClock } from './soak-run';

/**
 * `npm run soak`: random operations under random faults for a while, then the final check (issue
 * 17 §5). Exit 0 when nothing was lost, stuck or orphaned; 1 when something was (or the soak could
 * not run); 2 on a bad flag. Ctrl-C ends the operations early and still checks; a second one quits.
 */
async function main(): Promise<number> {
  let opts: SoakOptions | null;
  try {
    opts = parseSoakOptions(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof SoakUsageError)) throw err;
    console.error(`soak: ${err.message}\n\n${USAGE}`);
    return 2;
  }
  if (!opts) {
    console.log(USAGE);
    return 0;
  }
  const clock: SoakClock = { until: Number.POSITIVE_INFINITY };
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) process.exit(130);
    interrupted = true;
    note(`${signal}: ending the operations now, then checking (again to quit at once)`);
    clock.until = 0;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const { report, failed } = await runSoak(opts, clock);
    console.log(report);
    return failed ? 1 : 0;
  } catch (err) {
    console.error(`soak: could not run: ${(err as Error).stack ?? err}`);
    return 1;
  }
}

main().then((code) => process.exit(code));
