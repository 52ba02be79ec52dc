import type { BlockStorageApi, Volume } from '../api/block-storage';
import { ApiFault, ExitCode } from '../exit-codes';
import { findVolume } from './find-volume';

const SOURCE_ID = 'faaeb890-5a16-4b54-8ed9-8348b817b322';
const DEST_ID = '2b37682f-7908-4063-9edd-5be059481dde';
const source: Volume = { id: SOURCE_ID, name: 'e1', status: 'available', size: 1, migration_status: 'migrating' };
const destination: Volume = { id: DEST_ID, name: 'e1', status: 'available', size: 1, migration_status: `target:${SOURCE_ID}` };

/** The two calls findVolume makes, over a fixed list of volumes (the name filter as the API applies it). */
function apiWith(volumes: Volume[]): BlockStorageApi {
  return {
    getVolume: async (id: string) => volumes.find((v) => v.id === id) ?? Promise.reject(new ApiFault(404, `Volume ${id} could not be found.`)),
    listVolumes: async (q: { name?: string }) => volumes.filter((v) => q.name === undefined || v.name === q.name),
  } as unknown as BlockStorageApi;
}

describe('findVolume', () => {
  it('when a migration copies and its destination bears the same name, then the name finds the source', async () => {
    expect(await findVolume(apiWith([destination, source]), 'e1')).toBe(source);
  });

  it("when the destination's id is given, then the destination is found", async () => {
    expect(await findVolume(apiWith([destination, source]), DEST_ID)).toBe(destination);
  });

  it('when two volumes that are not destinations share the name, then it is a usage error listing their ids', async () => {
    const twin = { ...source, id: '33333333-2222-3333-4444-555555555555', migration_status: null };
    await expect(findVolume(apiWith([source, destination, twin]), 'e1')).rejects.toMatchObject({
      exitCode: ExitCode.Usage,
      message: `more than one volume is named 'e1'; give one of their ids: ${SOURCE_ID}, ${twin.id}`,
    });
  });

  it('when only a destination bears the name, then the name is not found, and the message gives the destination id', async () => {
    await expect(findVolume(apiWith([destination]), 'e1')).rejects.toMatchObject({
      exitCode: ExitCode.NotFound,
      message: `no volume with name or id 'e1' (only the destination of a migration is: ${DEST_ID}; give its id for it)`,
    });
  });
});
