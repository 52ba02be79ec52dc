import { randomBytes } from 'node:crypto';
import { open, stat } from 'node:fs/promises';

/** A sparse file of `sizeBytes` with the given ranges filled (random bytes unless given), made durable. */
export async function sparseFile(
  path: string,
  sizeBytes: number,
  ranges: { at: number; data?: Buffer; length?: number }[] = [],
): Promise<void> {
  const fh = await open(path, 'w');
  try {
    await fh.truncate(sizeBytes);
    for (const { at, data, length } of ranges) {
      const bytes = data ?? randomBytes(length ?? 0);
      await fh.write(bytes, 0, bytes.length, at);
    }
    await fh.datasync();
  } finally {
    await fh.close();
  }
}

/** Bytes the filesystem really holds for a file (holes are not counted). */
export async function allocatedBytes(path: string): Promise<number> {
  return (await stat(path)).blocks * 512;
}
