import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { BlockFile, openBlockFile } from './block-file';
import { DeviceMirror } from './device-mirror';
import { GuestDevice } from './guest-device';
import { Cleanup, fileDifference, GuestWriter, KIB, MIB, withTempDir } from '../../../test/mirror-helpers';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** A target opener that counts the bytes the mirror writes to it. */
function countingTarget(count: { bytes: number }): (path: string) => Promise<BlockFile> {
  return async (path) => {
    const real = await openBlockFile(path);
    return {
      read: (position, length) => real.read(position, length),
      write: async (position, data) => {
        count.bytes += data.length;
        await real.write(position, data);
      },
      datasync: () => real.datasync(),
      stat: () => real.stat(),
      close: () => real.close(),
    };
  };
}

async function pivot(mirror: DeviceMirror): Promise<void> {
  const deadline = performance.now() + 8_000;
  while (!(await mirror.pivot(async () => undefined))) {
    if (performance.now() > deadline) throw new Error('the mirror did not let the pivot happen');
    await delay(2);
  }
}

/**
 * A target an interrupted mirror left: the first `copied` bytes of an older state of the source,
 * then old data where the source changed since (the guest wrote on), and leftovers past it.
 */
async function interruptedCopy(dir: string, size: number) {
  const src = join(dir, 'src');
  const dst = join(dir, 'dst');
  const source = randomBytes(size);
  const target = Buffer.from(source);
  const copied = size / 2;
  randomBytes(size - copied).copy(target, copied); // never copied: stale
  randomBytes(64 * KIB).copy(target, 256 * KIB); // copied, then the guest wrote the source again
  source.fill(0, 512 * KIB, 576 * KIB); // zeroes on the source over old data on the target
  await writeFile(src, source);
  await writeFile(dst, target);
  return { src, dst, source, copied };
}

describe('DeviceMirror resync (a swap resumed after a restart)', () => {
  it('when the target holds an interrupted copy, then after the pivot it equals the source, and only what differed was written', () =>
    withTempDir('mirror-resync-', async (dir) => {
      const size = 2 * MIB;
      const { src, dst, source, copied } = await interruptedCopy(dir, size);
      const device = await GuestDevice.open(src, size);
      cleanup.add(() => device.close());
      const written = { bytes: 0 };
      const mirror = device.startMirror(dst, { resync: true, hooks: { openTarget: countingTarget(written) } });
      await mirror.ready;
      expect(mirror.stats()).toMatchObject({ cur: size, dirtyBytes: 0 });
      await pivot(mirror);
      expect(await fileDifference(dst, source)).toBe(-1);
      // The stale half, the rewritten granule and the zeroed one: never what the target already held.
      expect(written.bytes).toBe(size - copied + 64 * KIB + 64 * KIB);
    }));

  it('when the same target is mirrored without resync, then the control: every byte is written again', () =>
    withTempDir('mirror-resync-', async (dir) => {
      const size = 2 * MIB;
      const { src, dst, source } = await interruptedCopy(dir, size);
      const device = await GuestDevice.open(src, size);
      cleanup.add(() => device.close());
      const written = { bytes: 0 };
      const mirror = device.startMirror(dst, { hooks: { openTarget: countingTarget(written) } });
      await mirror.ready;
      await pivot(mirror);
      expect(await fileDifference(dst, source)).toBe(-1);
      expect(written.bytes).toBe(size);
    }));

  it('when the guest writes throughout a resync, then the target equals the source at the pivot', () =>
    withTempDir('mirror-resync-', async (dir) => {
      const size = 4 * MIB;
      const { src, dst } = await interruptedCopy(dir, size);
      const model = await readFile(src);
      const device = await GuestDevice.open(src, size);
      cleanup.add(() => device.close());
      const writer = new GuestWriter(device, model, 0, size, 64 * KIB, 1).start();
      cleanup.add(() => writer.stop());
      const mirror = device.startMirror(dst, { resync: true, chunkBytes: 256 * KIB, bytesPerSecond: 16 * MIB });
      await mirror.ready;
      await writer.stop();
      await pivot(mirror);
      expect(writer.writes).toBeGreaterThan(0);
      expect(await fileDifference(dst, model)).toBe(-1);
    }));
});
