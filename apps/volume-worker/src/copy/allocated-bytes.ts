import { DEFAULT_BLOCK_SIZE } from './copy-engine';
import { bytesToRead, dataRanges } from './data-map';

/**
 * What a copy of the whole file would read, by the filesystem's extent map: the blocks that hold
 * data, in the copy's own block size (a block with one byte of data is read whole). Without a map
 * (a filesystem without extents), every block: as the copy would.
 */
export async function allocatedBytes(path: string, sizeBytes: number, signal?: AbortSignal): Promise<number> {
  return bytesToRead(await dataRanges(path, { signal }), 0, sizeBytes, DEFAULT_BLOCK_SIZE);
}
