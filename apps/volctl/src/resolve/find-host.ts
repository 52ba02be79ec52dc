import type { BlockStorageApi } from '../api/block-storage';
import { NotFoundError, UsageError } from '../exit-codes';

/**
 * A destination pool (`host@backend#pool`) by its full name or by the start of it that names one pool
 * only (`host-b` when host-b has a single pool, `host-b@file#pool1` always). Several matches are a usage
 * error listing them.
 */
export async function findHost(api: BlockStorageApi, ref: string): Promise<string> {
  const names = (await api.listPools()).map((p) => p.name);
  if (names.includes(ref)) return ref;
  const matches = names.filter((n) => n.startsWith(`${ref}@`) || n.startsWith(`${ref}#`));
  if (matches.length === 1) return matches[0];
  if (matches.length === 0) throw new NotFoundError(`no pool named '${ref}'; pools: ${names.join(', ') || 'none'}`);
  throw new UsageError(`'${ref}' names several pools; give one of: ${matches.join(', ')}`);
}
