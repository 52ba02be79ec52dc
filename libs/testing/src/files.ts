import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';

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

/** `length` bytes of `path` from `at` (zeroes past its end). */
export async function readRange(path: string, at: number, length: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(length);
    await fh.read(buffer, 0, length, at);
    return buffer;
  } finally {
    await fh.close();
  }
}

/** The sha256 of a file, streamed (a volume file is a GiB or more, mostly holes). */
export async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path, { highWaterMark: 8 * 1024 * 1024 }), hash);
  return hash.digest('hex');
}
