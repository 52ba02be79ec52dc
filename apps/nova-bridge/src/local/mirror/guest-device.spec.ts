import { randomBytes } from 'node:crypto';
import { readFile, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { MirrorError } from './device-mirror';
import { GuestDevice } from './guest-device';
import { Cleanup, KIB, MIB, sparseFile, withTempDir } from '../../../test/mirror-helpers';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

async function device(dir: string, size = MIB): Promise<GuestDevice> {
  const path = join(dir, 'vol');
  await sparseFile(path, size);
  const dev = await GuestDevice.open(path, size);
  cleanup.add(() => dev.close());
  return dev;
}

describe('GuestDevice', () => {
  it('when the guest writes and reads, then the bytes land in the file and read back', () =>
    withTempDir('guest-', async (dir) => {
      const dev = await device(dir);
      const data = randomBytes(5000);
      await dev.write(MIB - 5000, data);
      await dev.flush();
      expect((await dev.read(MIB - 5000, 5000)).equals(data)).toBe(true);
      expect((await readFile(dev.path)).subarray(MIB - 5000).equals(data)).toBe(true);
      expect((await dev.read(0, 10)).equals(Buffer.alloc(10))).toBe(true);
      expect(await dev.read(MIB, 0)).toHaveLength(0);
    }));

  it.each([
    ['a negative offset', -1, 1],
    ['a range past the end', MIB - 1, 2],
    ['an offset at the end', MIB, 1],
    ['a fractional offset', 1.5, 1],
    ['a negative length', 0, -1],
  ])('when the guest reads %s, then it gets a RangeError', (_what, offset, length) =>
    withTempDir('guest-', async (dir) => {
      const dev = await device(dir);
      await expect(dev.read(offset, length)).rejects.toThrow(RangeError);
    }),
  );

  it('when the guest writes outside the device, then it gets a RangeError and nothing is written', () =>
    withTempDir('guest-', async (dir) => {
      const dev = await device(dir);
      await expect(dev.write(MIB - 1, Buffer.alloc(2, 7))).rejects.toThrow(RangeError);
      await expect(dev.write(-1, Buffer.alloc(1, 7))).rejects.toThrow(RangeError);
      expect((await readFile(dev.path)).equals(Buffer.alloc(MIB))).toBe(true);
    }));

  it('when the file is shorter than the device, then the missing tail reads as zeroes', () =>
    withTempDir('guest-', async (dir) => {
      const path = join(dir, 'short');
      await sparseFile(path, 100, [{ at: 0, data: Buffer.alloc(100, 1) }]);
      const dev = await GuestDevice.open(path, 200);
      cleanup.add(() => dev.close());
      expect((await dev.read(50, 100)).equals(Buffer.concat([Buffer.alloc(50, 1), Buffer.alloc(50)]))).toBe(true);
    }));

  describe('startMirror', () => {
    it('when a mirror runs, then a second one is refused', () =>
      withTempDir('guest-', async (dir) => {
        const dev = await device(dir);
        const target = join(dir, 'target');
        await sparseFile(target, MIB);
        const mirror = dev.startMirror(target, { bytesPerSecond: KIB });
        expect(dev.activeMirror).toBe(mirror);
        expect(() => dev.startMirror(target)).toThrow(/already running/);
        await mirror.cancel('test');
        expect(dev.activeMirror).toBeNull();
      }));

    it('when the target is the device itself or the options are bad, then it is refused', () =>
      withTempDir('guest-', async (dir) => {
        const dev = await device(dir);
        expect(() => dev.startMirror(dev.path)).toThrow(/onto itself/);
        const target = join(dir, 'target');
        expect(() => dev.startMirror(target, { granularity: 1000 })).toThrow(RangeError);
        expect(() => dev.startMirror(target, { granularity: 256 })).toThrow(RangeError);
        expect(() => dev.startMirror(target, { chunkBytes: 100 * KIB })).toThrow(RangeError);
        expect(() => dev.startMirror(target, { maxInFlight: 0 })).toThrow(RangeError);
        expect(() => dev.startMirror(target, { bytesPerSecond: -1 })).toThrow(RangeError);
        expect(dev.activeMirror).toBeNull();
      }));
  });

  it('when closed, then a running mirror is cancelled and guest I/O is refused; close is idempotent', () =>
    withTempDir('guest-', async (dir) => {
      const dev = await device(dir);
      const target = join(dir, 'target');
      await sparseFile(target, MIB);
      const mirror = dev.startMirror(target, { bytesPerSecond: KIB });
      await Promise.all([dev.close(), dev.close()]);
      await expect(mirror.ready).rejects.toBeInstanceOf(MirrorError);
      await expect(dev.read(0, 1)).rejects.toThrow(/closed/);
      await expect(dev.write(0, Buffer.alloc(1))).rejects.toThrow(/closed/);
      await expect(dev.flush()).rejects.toThrow(/closed/);
    }));

  describe('resize', () => {
    it('when the file is large enough, then the device grows; it never shrinks', () =>
      withTempDir('guest-', async (dir) => {
        const dev = await device(dir);
        await expect(dev.resize(2 * MIB)).rejects.toThrow(RangeError);
        await truncate(dev.path, 2 * MIB);
        await dev.resize(2 * MIB);
        expect(dev.sizeBytes).toBe(2 * MIB);
        await dev.write(2 * MIB - 1, Buffer.alloc(1, 9));
        await expect(dev.resize(MIB)).rejects.toThrow(/only grows/);
      }));

    it('when a mirror runs, then it is refused', () =>
      withTempDir('guest-', async (dir) => {
        const dev = await device(dir);
        const target = join(dir, 'target');
        await sparseFile(target, MIB);
        dev.startMirror(target, { bytesPerSecond: KIB });
        await expect(dev.resize(MIB)).rejects.toThrow(/mirrored/);
      }));
  });
});
