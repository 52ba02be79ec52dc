import { parseSize } from '@volume/migration-format';
import { UsageError } from '../exit-codes';

/** A size or rate typed on the command line ("200M", "64MiB/s"): what parseSize refuses is a usage error (exit 2). */
export function sizeArgument(text: string): number {
  try {
    return parseSize(text);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}
