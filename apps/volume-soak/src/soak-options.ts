import { randomInt } from 'node:crypto';
import { parseArgs } from 'node:util';

/** What one soak does; every value has a flag, `minutes` also SOAK_MINUTES. */
export interface SoakOptions {
  /** How long operations and faults go on (then the last fault heals, the stack settles, the check runs). */
  minutes: number;
  /** Seeds every random choice (operations, targets, faults, their timing): printed at start, to replay a run. */
  seed: number;
  /** Operations run at once, each by its own actor with its own random stream. */
  actors: number;
  /** Volumes alive at most (creates stop there); deletes stop at a third of it. */
  volumes: number;
  /** Random data written into each 1 GiB volume, in 4 MiB pieces spread over it. */
  dataMib: number;
  /** The copy throttle (VOLUME_COPY_BPS_LIMIT, SWAP_COPY_BPS_LIMIT), so that faults land mid-copy. */
  copyMibPerSecond: number;
  /** The pause between two faults is drawn from [min, max] seconds. */
  faultGapSeconds: [number, number];
  /** After the last fault healed: how long in-flight work may take to end before the check. */
  settleSeconds: number;
  /** Keep the directory (logs, pools, database) even when the soak found nothing. */
  keep: boolean;
}

export const USAGE = `npm run soak -- [options]

  --minutes N         run operations and faults for N minutes (default 10, or SOAK_MINUTES)
  --seed N            seed of every random choice (default: drawn, and printed to replay the run)
  --actors N          operations in flight at once (default 4)
  --volumes N         volumes alive at most (default 8)
  --data-mib N        MiB of random data per 1 GiB volume (default 16, a multiple of 4)
  --copy-mibps N      copy throttle of workers and swaps, MiB/s (default 4)
  --fault-gap MIN,MAX seconds between two faults (default 8,20)
  --settle N          seconds for in-flight work to end after the last fault (default 120)
  --keep              keep the run's directory even when nothing was found
  --help              this text`;

/** A bad flag or value: main prints it with the usage and exits 2. */
export class SoakUsageError extends Error {
  override readonly name = 'SoakUsageError';
}

function positive(name: string, raw: string | undefined, fallback: number, integer: boolean): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new SoakUsageError(`${name} must be a positive ${integer ? 'integer' : 'number'}, not ${JSON.stringify(raw)}`);
  }
  return value;
}

/** The options from the command line and the environment (flags win); `null` when help was asked. */
export function parseSoakOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): SoakOptions | null {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        minutes: { type: 'string' },
        seed: { type: 'string' },
        actors: { type: 'string' },
        volumes: { type: 'string' },
        'data-mib': { type: 'string' },
        'copy-mibps': { type: 'string' },
        'fault-gap': { type: 'string' },
        settle: { type: 'string' },
        keep: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    });
  } catch (err) {
    throw new SoakUsageError((err as Error).message);
  }
  const v = parsed.values;
  if (v.help) return null;
  const minutes = positive(v.minutes !== undefined ? '--minutes' : 'SOAK_MINUTES', v.minutes ?? (env.SOAK_MINUTES || undefined), 10, false);
  const seed = v.seed === undefined ? randomInt(2 ** 31) : Number(v.seed);
  if (!Number.isSafeInteger(seed) || seed < 0 || seed >= 2 ** 31) throw new SoakUsageError(`--seed must be an integer from 0 to 2147483647, not ${JSON.stringify(v.seed)}`);
  const dataMib = positive('--data-mib', v['data-mib'], 16, true);
  if (dataMib % 4 !== 0 || dataMib > 512) throw new SoakUsageError(`--data-mib must be a multiple of 4 up to 512, not ${dataMib}`);
  const volumes = positive('--volumes', v.volumes, 8, true);
  if (volumes < 3) throw new SoakUsageError(`--volumes must be at least 3, not ${volumes}`);
  const gap = (v['fault-gap'] ?? '8,20').split(',');
  if (gap.length !== 2) throw new SoakUsageError(`--fault-gap must be MIN,MAX seconds, not ${JSON.stringify(v['fault-gap'])}`);
  const faultGapSeconds: [number, number] = [positive('--fault-gap MIN', gap[0], 8, false), positive('--fault-gap MAX', gap[1], 20, false)];
  if (faultGapSeconds[0] > faultGapSeconds[1]) throw new SoakUsageError(`--fault-gap MIN must not exceed MAX (${faultGapSeconds.join(',')})`);
  return {
    minutes,
    seed,
    actors: positive('--actors', v.actors, 4, true),
    volumes,
    dataMib,
    copyMibPerSecond: positive('--copy-mibps', v['copy-mibps'], 4, false),
    faultGapSeconds,
    settleSeconds: positive('--settle', v.settle, 120, false),
    keep: v.keep ?? false,
  };
}
