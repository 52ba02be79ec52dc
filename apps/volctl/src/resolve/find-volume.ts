import { isMigrationDestination } from '@volume/migration-format';
import type { BlockStorageApi, Volume } from '../api/block-storage';
import { ApiFault, NotFoundError, UsageError } from '../exit-codes';

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/**
 * A volume by id, else by name (openstackclient's find_resource): an id that is not found is tried as a
 * name; a name that several volumes share is a usage error listing their ids. A migration's destination
 * (which bears its source's name while it copies) is found by its id only: by name it is the source.
 */
export async function findVolume(api: BlockStorageApi, ref: string, opts: { allProjects?: boolean } = {}): Promise<Volume> {
  if (UUID.test(ref)) {
    try {
      return await api.getVolume(ref);
    } catch (err) {
      if (!(err instanceof ApiFault && err.status === 404)) throw err;
    }
  }
  const same = (await api.listVolumes({ name: ref, allProjects: opts.allProjects })).filter((v) => v.name === ref);
  const named = same.filter((v) => !isMigrationDestination(v));
  if (named.length === 1) return named[0];
  if (named.length > 1) throw new UsageError(`more than one volume is named '${ref}'; give one of their ids: ${named.map((v) => v.id).join(', ')}`);
  const destinations = same.length ? ` (only the destination of a migration is: ${same.map((v) => v.id).join(', ')}; give its id for it)` : '';
  throw new NotFoundError(`no volume with name or id '${ref}'${destinations}`);
}
