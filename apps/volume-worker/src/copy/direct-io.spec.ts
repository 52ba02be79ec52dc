import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { FileHandle, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { alignedBuffers, CopyFile, DIRECT_IO_ALIGNMENT, isDirectIoBuffer } from './direct-io';
import { MIB, readRange, sparseFile, tempDir } from '../../test/copy-helpers';

/** Bytes of `path` in the page cache (util-linux fincore). */
function cachedBytes(path: string): number {
  return Number(execFileSync('fincore', ['--bytes', '--noheadings', '--raw', '--output', 'RES', path], { encoding: 'utf8' }).trim());
}

describe('alignedBuffers', () => {
  it('hands out buffers of the size asked that direct I/O takes as they are', () => {
    const buffers = alignedBuffers(3, MIB);
    expect(buffers.map((b) => b.length)).toEqual([MIB, MIB, MIB]);
    expect(buffers.every(isDirectIoBuffer)).toBe(true);
    // Distinct memory: writing one leaves the others alone.
    buffers[0].fill(1);
    expect(buffers[1].every((b) => b === 0)).toBe(true);
  });

  it('refuses sizes that are not whole pages', () => {
    expect(() => alignedBuffers(1, 1000)).toThrow(RangeError);
    expect(() => alignedBuffers(1, 0)).toThrow(RangeError);
  });

  it('tells ordinary and misaligned buffers apart', () => {
    const [buffer] = alignedBuffers(1, 2 * DIRECT_IO_ALIGNMENT);
    expect(isDirectIoBuffer(buffer.subarray(DIRECT_IO_ALIGNMENT))).toBe(true);
    expect(isDirectIoBuffer(buffer.subarray(512))).toBe(false);
    expect(isDirectIoBuffer(buffer.subarray(0, 100))).toBe(false);
    expect(isDirectIoBuffer(Buffer.alloc(DIRECT_IO_ALIGNMENT))).toBe(false);
  });
});

describe('CopyFile', () => {
  let dir: string;
  let path: string;
  const SIZE = 8 * MIB;

  beforeEach(async () => {
    dir = await tempDir('direct-io-');
    path = join(dir, 'volume');
    await sparseFile(path, SIZE);
  });

  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('writes aligned buffers around the page cache, and they read back', async () => {
    const file = await CopyFile.open(path, 'r+');
    const [buffer] = alignedBuffers(1, 4 * MIB);
    randomBytes(4 * MIB).copy(buffer);
    try {
      expect(file.direct).toBe(true);
      expect(await file.writev([buffer], 4 * MIB)).toBe(4 * MIB);
      await file.handle.datasync();
    } finally {
      await file.close();
    }
    expect(cachedBytes(path)).toBe(0);
    expect((await readRange(path, 4 * MIB, 4 * MIB)).equals(buffer)).toBe(true);
  });

  it('reads aligned blocks around the page cache, a short tail included', async () => {
    const data = randomBytes(SIZE - 100);
    await sparseFile(path, SIZE - 100, [{ at: 0, data }]);
    // Out of the page cache (clean pages dropped), so that a read through it would show.
    execFileSync('dd', [`if=${path}`, 'iflag=nocache', 'count=0'], { stdio: 'ignore' });
    expect(cachedBytes(path)).toBe(0);
    const file = await CopyFile.open(path, 'r');
    const [buffer] = alignedBuffers(1, 4 * MIB);
    try {
      expect(await file.read(buffer, 4 * MIB, 0)).toBe(4 * MIB);
      expect(buffer.equals(data.subarray(0, 4 * MIB))).toBe(true);
      // The last block is 100 bytes short of a page multiple: read whole, reported as asked.
      expect(await file.read(buffer, 4 * MIB - 100, 4 * MIB)).toBe(4 * MIB - 100);
      expect(buffer.subarray(0, 4 * MIB - 100).equals(data.subarray(4 * MIB))).toBe(true);
    } finally {
      await file.close();
    }
    expect(cachedBytes(path)).toBe(0);
  });

  it('takes unaligned writes through the page cache, coherent with the direct ones', async () => {
    const file = await CopyFile.open(path, 'r+');
    const [block] = alignedBuffers(1, MIB);
    randomBytes(MIB).copy(block);
    const patch = randomBytes(1000);
    try {
      expect(await file.writev([patch], 4096 + 10)).toBe(1000); // unaligned: buffered
      expect(await file.writev([block], 0)).toBe(MIB); // direct, over the buffered bytes
      expect(await file.writev([patch], 2 * MIB + 10)).toBe(1000); // buffered, after the direct bytes
      await file.handle.datasync();
    } finally {
      await file.close();
    }
    expect((await readRange(path, 0, MIB)).equals(block)).toBe(true);
    expect((await readRange(path, 2 * MIB + 10, 1000)).equals(patch)).toBe(true);
  });

  it('when the kernel refuses a direct operation (EINVAL), then it and every later one go through the page cache', async () => {
    const data = randomBytes(2 * MIB);
    await sparseFile(path, SIZE, [{ at: 0, data }]);
    const refusals: string[] = [];
    let closed = 0;
    const refuse = (op: string) => () => {
      refusals.push(op);
      return Promise.reject(Object.assign(new Error(`${op}: invalid argument`), { code: 'EINVAL' }));
    };
    // A direct descriptor as a filesystem that takes O_DIRECT at open but not its operations would give.
    const refusing = { read: refuse('read'), write: refuse('write'), close: async () => void closed++ } as unknown as FileHandle;
    const file = CopyFile.wrap(await open(path, 'r+'), refusing);
    const [buffer] = alignedBuffers(1, MIB);
    try {
      expect(file.direct).toBe(true);
      expect(await file.read(buffer, MIB, 0)).toBe(MIB);
      expect(buffer.equals(data.subarray(0, MIB))).toBe(true);
      expect(file.direct).toBe(false);
      randomBytes(MIB).copy(buffer);
      expect(await file.writev([buffer], 4 * MIB)).toBe(MIB);
      expect(await file.read(Buffer.alloc(MIB), MIB, MIB)).toBe(MIB);
      await file.handle.datasync();
    } finally {
      await file.close();
    }
    expect(refusals).toEqual(['read']); // refused once, never asked again
    expect(closed).toBe(1);
    expect((await readRange(path, 4 * MIB, MIB)).equals(buffer)).toBe(true);
  });

  it('passes on an error that is not a refusal, and keeps direct I/O', async () => {
    const failing = {
      read: () => Promise.reject(Object.assign(new Error('input/output error'), { code: 'EIO' })),
      close: async () => undefined,
    } as unknown as FileHandle;
    const file = CopyFile.wrap(await open(path, 'r'), failing);
    const [buffer] = alignedBuffers(1, MIB);
    try {
      await expect(file.read(buffer, MIB, 0)).rejects.toMatchObject({ code: 'EIO' });
      expect(file.direct).toBe(true);
    } finally {
      await file.close();
    }
  });

  it('goes through the page cache when direct I/O is off', async () => {
    const file = await CopyFile.open(path, 'r+', { directIo: false });
    const [buffer] = alignedBuffers(1, MIB);
    randomBytes(MIB).copy(buffer);
    try {
      expect(file.direct).toBe(false);
      expect(await file.writev([buffer], 0)).toBe(MIB);
      await file.handle.datasync();
    } finally {
      await file.close();
    }
    expect(cachedBytes(path)).toBe(MIB);
  });
});
