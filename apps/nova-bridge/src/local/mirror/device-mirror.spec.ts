import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { BlockFile, openBlockFile } from './block-file';
import { DeviceMirror, MirrorError, MirrorStats } from './device-mirror';
import { GuestDevice } from './guest-device';
import { allocatedBytes, Cleanup, fileDifference, firstDifference, GuestWriter, KIB, MIB, sparseFile, until, withTempDir } from '../../../test/mirror-helpers';

/** Pivots as soon as the mirror lets it, recording source and target as they are at the commit point. */
async function pivotWhenConverged(mirror: DeviceMirror, src: string, dst: string): Promise<{ source: Buffer; target: Buffer }> {
  let atCommit: { source: Buffer; target: Buffer } | null = null;
  const deadline = performance.now() + 8_000;
  while (
    !(await mirror.pivot(async () => {
      const [source, target] = await Promise.all([readFile(src), readFile(dst)]);
      atCommit = { source, target };
    }))
  ) {
    if (performance.now() > deadline) throw new Error('the mirror did not let the pivot happen');
    await delay(2);
  }
  if (!atCommit) throw new Error('commit was not called');
  return atCommit;
}

/** A target whose writes fail with EIO once `armed.on` is set. */
function failingTarget(armed: { on: boolean; closed?: boolean }): (path: string) => Promise<BlockFile> {
  return async (path) => {
    const real = await openBlockFile(path);
    return {
      read: (position, length) => real.read(position, length),
      write: async (position, data) => {
        if (armed.on) throw Object.assign(new Error('EIO: i/o error, write (injected)'), { code: 'EIO' });
        await real.write(position, data);
      },
      datasync: () => real.datasync(),
      stat: () => real.stat(),
      close: async () => {
        armed.closed = true;
        await real.close();
      },
    };
  };
}

async function settled(p: Promise<unknown>, ms: number): Promise<boolean> {
  let done = false;
  p.then(
    () => (done = true),
    () => (done = true),
  );
  await delay(ms);
  return done;
}

function sampleStats(mirror: DeviceMirror, into: MirrorStats[]): () => void {
  const timer = setInterval(() => into.push(mirror.stats()), 5);
  return () => clearInterval(timer);
}

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

async function openDevice(path: string, sizeBytes: number): Promise<GuestDevice> {
  const device = await GuestDevice.open(path, sizeBytes);
  cleanup.add(() => device.close());
  return device;
}

function startWriter(...args: ConstructorParameters<typeof GuestWriter>): GuestWriter {
  const writer = new GuestWriter(...args).start();
  cleanup.add(() => writer.stop());
  return writer;
}


/** A source of `size` holding `ranges` (all of it by default) and an empty sparse target beside it. */
async function mirrorFiles(dir: string, size: number, ranges: { at: number; length: number }[] = [{ at: 0, length: size }]) {
  const src = join(dir, 'src');
  const dst = join(dir, 'dst');
  await sparseFile(src, size, ranges);
  await sparseFile(dst, size);
  return { src, dst };
}
describe('DeviceMirror', () => {
  it('when a guest writes at random places throughout the copy and the pivot, then the target equals the source at the commit point, and later writes land on the target only', () =>
    withTempDir('mirror-', async (dir) => {
      const size = 6 * MIB;
      const { src, dst } = await mirrorFiles(dir, size, [{ at: 0, length: 4 * MIB }, { at: 5 * MIB + 123, length: 300 * KIB }]);
      const model = await readFile(src);
      const device = await openDevice(src, size);
      // Write-blocking at the latest after 1.5 s, so that a pivot can happen while the writers go on.
      const mirror = device.startMirror(dst, { chunkBytes: 256 * KIB, maxInFlight: 4, bytesPerSecond: 16 * MIB, syncAfterMs: 1_500 });
      const samples: MirrorStats[] = [];
      const stopSampling = sampleStats(mirror, samples);
      const third = Math.floor(size / 3);
      const writers = [0, 1, 2].map((k) => startWriter(device, model, k * third, k === 2 ? size : (k + 1) * third, 32 * KIB, 1));

      await mirror.ready;
      const atCommit = await pivotWhenConverged(mirror, src, dst);
      stopSampling();
      expect(firstDifference(atCommit.target, atCommit.source)).toBe(-1);
      expect(device.path).toBe(dst);
      expect(device.activeMirror).toBeNull();
      expect(mirror.stats().state).toBe('pivoted');

      const before = writers.map((w) => w.writes);
      await until(() => writers.every((w, i) => w.writes >= before[i] + 10), 5_000, 'writes after the pivot');
      await Promise.all(writers.map((w) => w.stop()));
      expect(await fileDifference(src, atCommit.source)).toBe(-1);
      expect(await fileDifference(dst, model)).toBe(-1);
      expect(firstDifference(await device.read(0, size), model)).toBe(-1);
      expect(firstDifference(model, atCommit.source)).not.toBe(-1);

      const copying = samples.filter((s) => s.state === 'copying');
      expect(copying.length).toBeGreaterThan(3);
      for (const s of samples) {
        expect(s.cur).toBeLessThanOrEqual(s.end);
      }
      for (let i = 1; i < samples.length; i++) expect(samples[i].cur).toBeGreaterThanOrEqual(samples[i - 1].cur);
      // Guest writes behind the cursor dirtied copied regions again: more than the device was to do.
      expect(Math.max(...copying.map((s) => s.end))).toBeGreaterThan(size);
      expect(copying.some((s, i) => i > 0 && s.end > copying[i - 1].end)).toBe(true);
      await device.close();
    }));

  describe('when the guest dirties faster than a rate-limited copier copies', () => {
    const size = 2 * MIB;
    const base = { granularity: 64 * KIB, chunkBytes: 64 * KIB, maxInFlight: 4, bytesPerSecond: 4 * MIB };

    async function hammer(dir: string, opts: { syncAfterPasses: number; syncAfterMs: number }) {
      const { src, dst } = await mirrorFiles(dir, size);
      const model = await readFile(src);
      const device = await openDevice(src, size);
      const mirror = device.startMirror(dst, { ...base, ...opts });
      const writers = [0, 1].map((k) => startWriter(device, model, (k * size) / 2, ((k + 1) * size) / 2, 4 * KIB));
      return { src, dst, model, device, mirror, writers };
    }

    it('then in background mode alone the copy does not converge (the control)', () =>
      withTempDir('mirror-', async (dir) => {
        const { device, mirror, writers } = await hammer(dir, { syncAfterPasses: 1e9, syncAfterMs: 1e9 });
        expect(await settled(mirror.ready, 1_200)).toBe(false);
        const s = mirror.stats();
        expect(s).toMatchObject({ mode: 'background', state: 'copying' });
        expect(s.passes).toBeGreaterThanOrEqual(1);
        expect(s.dirtyBytes).toBeGreaterThan(0);
        await Promise.all(writers.map((w) => w.stop()));
        await device.close();
      }));

    it('then after syncAfterPasses full passes it switches to write-blocking and converges', () =>
      withTempDir('mirror-', async (dir) => {
        const { src, dst, model, device, mirror, writers } = await hammer(dir, { syncAfterPasses: 1, syncAfterMs: 1e9 });
        await mirror.ready;
        expect(mirror.stats()).toMatchObject({ mode: 'write-blocking', state: 'ready' });
        expect(mirror.stats().passes).toBeGreaterThanOrEqual(1);
        const atCommit = await pivotWhenConverged(mirror, src, dst);
        expect(firstDifference(atCommit.target, atCommit.source)).toBe(-1);
        await Promise.all(writers.map((w) => w.stop()));
        expect(await fileDifference(dst, model)).toBe(-1);
        await device.close();
      }));

    it('then after syncAfterMs it switches to write-blocking and converges', () =>
      withTempDir('mirror-', async (dir) => {
        const { src, dst, model, device, mirror, writers } = await hammer(dir, { syncAfterPasses: 1e9, syncAfterMs: 300 });
        await mirror.ready;
        expect(mirror.stats().mode).toBe('write-blocking');
        await pivotWhenConverged(mirror, src, dst);
        await Promise.all(writers.map((w) => w.stop()));
        expect(await fileDifference(dst, model)).toBe(-1);
        await device.close();
      }));
  });

  describe('when the target fails', () => {
    it('when a copy to the target fails, then ready rejects, the mirror detaches, the source holds exactly what the guest wrote and guest I/O goes on', () =>
      withTempDir('mirror-', async (dir) => {
        const size = 4 * MIB;
        const { src, dst } = await mirrorFiles(dir, size);
        const model = await readFile(src);
        const device = await openDevice(src, size);
        const armed = { on: false, closed: false };
        const mirror = device.startMirror(dst, { chunkBytes: 128 * KIB, bytesPerSecond: 8 * MIB, hooks: { openTarget: failingTarget(armed) } });
        const writer = startWriter(device, model, 0, size, 16 * KIB, 1);
        await until(() => mirror.stats().cur >= MIB, 5_000, 'a first megabyte copied');
        armed.on = true;

        const err = await mirror.ready.then(
          () => null,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(MirrorError);
        expect(err).toMatchObject({ state: 'failed', cause: { code: 'EIO' } });
        expect(mirror.stats().state).toBe('failed');
        expect(mirror.error).toMatchObject({ code: 'EIO' });
        expect(device.activeMirror).toBeNull();
        expect(device.path).toBe(src);

        const failedAt = writer.writes;
        await until(() => writer.writes >= failedAt + 20, 5_000, 'guest writes after the failure');
        await writer.stop();
        await device.flush();
        expect(await fileDifference(src, model)).toBe(-1);
        expect(firstDifference(await device.read(0, size), model)).toBe(-1);
        await until(() => armed.closed, 2_000, 'the target closed');
        await expect(mirror.pivot(async () => undefined)).rejects.toMatchObject({ state: 'failed' });
        await mirror.cancel('after the failure');
        expect(mirror.stats().state).toBe('failed');
        await device.close();
      }));

    it('when a synchronous (write-blocking) guest write to the target fails, then the guest write still succeeds on the source and the mirror fails', () =>
      withTempDir('mirror-', async (dir) => {
        const size = MIB;
        const { src, dst } = await mirrorFiles(dir, size);
        const device = await openDevice(src, size);
        const armed = { on: false };
        const mirror = device.startMirror(dst, { syncAfterPasses: 0, hooks: { openTarget: failingTarget(armed) } });
        await mirror.ready;
        expect(mirror.stats().mode).toBe('write-blocking');
        armed.on = true;
        const data = randomBytes(10_000);
        await device.write(1234, data);
        expect(mirror.stats().state).toBe('failed');
        expect(device.activeMirror).toBeNull();
        await device.flush();
        expect((await readFile(src)).subarray(1234, 1234 + data.length).equals(data)).toBe(true);
        expect((await device.read(1234, data.length)).equals(data)).toBe(true);
        await device.close();
      }));

    it('when the target cannot be opened (its directory is gone), then ready rejects and the guest runs on the source', () =>
      withTempDir('mirror-', async (dir) => {
        const src = join(dir, 'src');
        await sparseFile(src, MIB);
        const device = await openDevice(src, MIB);
        const mirror = device.startMirror(join(dir, 'gone', 'dst'));
        await expect(mirror.ready).rejects.toMatchObject({ state: 'failed', cause: { code: 'ENOENT' } });
        await device.write(0, Buffer.from('still here'));
        expect((await readFile(src)).subarray(0, 10).toString()).toBe('still here');
        await device.close();
      }));

    it('when the target is smaller than the device, then ready rejects', () =>
      withTempDir('mirror-', async (dir) => {
        const src = join(dir, 'src');
        const dst = join(dir, 'dst');
        await sparseFile(src, MIB);
        await sparseFile(dst, MIB - 512);
        const device = await openDevice(src, MIB);
        await expect(device.startMirror(dst).ready).rejects.toThrow(/smaller than the device/);
        expect(device.activeMirror).toBeNull();
        await device.close();
      }));
  });

  it('when cancelled, then ready rejects, the guest stays on the source, the target is no longer written, and a new mirror may start', () =>
    withTempDir('mirror-', async (dir) => {
      const size = 4 * MIB;
      const { src, dst } = await mirrorFiles(dir, size);
      const model = await readFile(src);
      const device = await openDevice(src, size);
      const mirror = device.startMirror(dst, { chunkBytes: 128 * KIB, bytesPerSecond: 4 * MIB });
      const writer = startWriter(device, model, 0, size, 8 * KIB, 1);
      await until(() => mirror.stats().cur > 0, 5_000, 'copying');
      await expect(mirror.pivot(async () => undefined)).resolves.toBe(false);

      await mirror.cancel('admin');
      await expect(mirror.ready).rejects.toMatchObject({ state: 'cancelled', message: expect.stringContaining('admin') });
      expect(mirror.stats().state).toBe('cancelled');
      expect(device.activeMirror).toBeNull();
      expect(device.path).toBe(src);
      const targetAfterCancel = await readFile(dst);
      const cancelledAt = writer.writes;
      await until(() => writer.writes >= cancelledAt + 20, 5_000, 'guest writes after the cancel');
      await writer.stop();
      expect(await fileDifference(dst, targetAfterCancel)).toBe(-1);
      expect(await fileDifference(src, model)).toBe(-1);
      await mirror.cancel('again');
      await expect(mirror.pivot(async () => undefined)).rejects.toMatchObject({ state: 'cancelled' });

      const second = device.startMirror(dst);
      await second.ready;
      await pivotWhenConverged(second, src, dst);
      expect(await fileDifference(dst, model)).toBe(-1);
      await device.close();
    }));

  it('when a write-blocking guest write hits a chunk whose copy is in flight, then it waits for that copy, which cannot overwrite it with older data', () =>
    withTempDir('mirror-', async (dir) => {
      const size = MIB;
      const { src, dst } = await mirrorFiles(dir, size);
      const device = await openDevice(src, size);
      let copyStarted!: () => void;
      const firstCopyWriting = new Promise<void>((resolve) => (copyStarted = resolve));
      let writes = 0;
      const mirror = device.startMirror(dst, {
        chunkBytes: 64 * KIB,
        maxInFlight: 1,
        syncAfterPasses: 0,
        hooks: {
          openTarget: async (path) => {
            const real = await openBlockFile(path);
            return {
              read: (p, l) => real.read(p, l),
              datasync: () => real.datasync(),
              stat: () => real.stat(),
              close: () => real.close(),
              // The copier's first chunk (read before the guest write below) reaches the target late.
              write: async (position, data) => {
                if (writes++ === 0) {
                  copyStarted();
                  await delay(100);
                }
                await real.write(position, data);
              },
            };
          },
        },
      });
      await firstCopyWriting;
      expect(mirror.stats().mode).toBe('write-blocking');
      const data = randomBytes(1000);
      await device.write(500, data);
      await mirror.ready;
      expect((await readFile(dst)).subarray(500, 1500).equals(data)).toBe(true);
      const atCommit = await pivotWhenConverged(mirror, src, dst);
      expect(firstDifference(atCommit.target, atCommit.source)).toBe(-1);
    }));

  describe('pivot', () => {
    async function readyMirror(dir: string) {
      const size = 2 * MIB;
      const { src, dst } = await mirrorFiles(dir, size);
      const device = await openDevice(src, size);
      const mirror = device.startMirror(dst);
      await mirror.ready;
      return { src, dst, device, mirror, size };
    }

    it('when a guest write in flight at the drain dirties the device, then pivot returns false without committing and mirroring goes on', () =>
      withTempDir('mirror-', async (dir) => {
        const { src, dst, device, mirror } = await readyMirror(dir);
        const commit = jest.fn(async () => undefined);
        const data = randomBytes(5000);
        const write = device.write(70_000, data);
        await expect(mirror.pivot(commit)).resolves.toBe(false);
        await write;
        expect(commit).not.toHaveBeenCalled();
        expect(device.path).toBe(src);
        expect(mirror.stats().state).toBe('ready');

        await until(() => mirror.stats().dirtyBytes === 0 && mirror.stats().inFlightBytes === 0, 2_000, 'the write copied');
        await expect(mirror.pivot(commit)).resolves.toBe(true);
        expect(commit).toHaveBeenCalledTimes(1);
        expect((await readFile(dst)).subarray(70_000, 75_000).equals(data)).toBe(true);
        await device.close();
      }));

    it('when commit throws, then the guest stays on the source, the error is rethrown and the mirror keeps mirroring', () =>
      withTempDir('mirror-', async (dir) => {
        const { src, dst, device, mirror } = await readyMirror(dir);
        await expect(
          mirror.pivot(async () => {
            throw new Error('database down');
          }),
        ).rejects.toThrow('database down');
        expect(device.path).toBe(src);
        expect(mirror.stats().state).toBe('ready');
        expect(device.activeMirror).toBe(mirror);

        const data = randomBytes(3000);
        await device.write(MIB + 17, data);
        expect((await readFile(src)).subarray(MIB + 17, MIB + 3017).equals(data)).toBe(true);
        const atCommit = await pivotWhenConverged(mirror, src, dst);
        expect(firstDifference(atCommit.target, atCommit.source)).toBe(-1);
        expect(device.path).toBe(dst);
        await device.close();
      }));

    it('when the mirror is not ready yet, then pivot returns false without draining or committing', () =>
      withTempDir('mirror-', async (dir) => {
        const { src, dst } = await mirrorFiles(dir, 2 * MIB);
        const device = await openDevice(src, 2 * MIB);
        const mirror = device.startMirror(dst, { bytesPerSecond: MIB });
        const commit = jest.fn(async () => undefined);
        await expect(mirror.pivot(commit)).resolves.toBe(false);
        expect(commit).not.toHaveBeenCalled();
        await device.close();
        await expect(mirror.ready).rejects.toMatchObject({ state: 'cancelled' });
      }));
  });

  describe('holes', () => {
    async function sparseSource(dir: string) {
      const size = 8 * MIB;
      const src = join(dir, 'src');
      await sparseFile(src, size, [{ at: 100 * KIB, length: 200 * KIB }, { at: 6 * MIB, length: 64 * KIB }]);
      return { src, size };
    }

    it('when the target is a fresh sparse file, then all-zero ranges are counted as processed but not written', () =>
      withTempDir('mirror-', async (dir) => {
        const { src, size } = await sparseSource(dir);
        const dst = join(dir, 'dst');
        await sparseFile(dst, size);
        const device = await openDevice(src, size);
        const mirror = device.startMirror(dst);
        await mirror.ready;
        expect(mirror.stats()).toMatchObject({ cur: size, end: size, dirtyBytes: 0, inFlightBytes: 0 });
        await pivotWhenConverged(mirror, src, dst);
        expect(await fileDifference(dst, await readFile(src))).toBe(-1);
        // 200 KiB and 64 KiB of data: their 64 KiB granules, not their 1 MiB chunks (nor the holes).
        expect(await allocatedBytes(dst)).toBeLessThanOrEqual(384 * KIB);
        await device.close();
      }));

    it('when the target holds old data, then zero ranges are written too', () =>
      withTempDir('mirror-', async (dir) => {
        const { src, size } = await sparseSource(dir);
        const dst = join(dir, 'dst');
        await writeFile(dst, randomBytes(size));
        const device = await openDevice(src, size);
        const mirror = device.startMirror(dst);
        await mirror.ready;
        await pivotWhenConverged(mirror, src, dst);
        expect(await fileDifference(dst, await readFile(src))).toBe(-1);
        await device.close();
      }));
  });

  it('when the copy moves, then its stats show cur rising, never falling, and end at cur = end = size once pivoted', () =>
    withTempDir('mirror-', async (dir) => {
      const size = 3 * MIB;
      const { src, dst } = await mirrorFiles(dir, size);
      const device = await openDevice(src, size);
      const mirror = device.startMirror(dst, { chunkBytes: 64 * KIB, bytesPerSecond: 6 * MIB });
      const seen: MirrorStats[] = [];
      const stopSampling = sampleStats(mirror, seen);
      await mirror.ready;
      await pivotWhenConverged(mirror, src, dst);
      stopSampling();

      const copying = seen.filter((s) => s.state === 'copying');
      expect(new Set(copying.map((s) => s.cur)).size).toBeGreaterThanOrEqual(3);
      for (let i = 1; i < copying.length; i++) expect(copying[i].cur).toBeGreaterThanOrEqual(copying[i - 1].cur);
      expect(mirror.stats()).toMatchObject({ cur: size, end: size, state: 'pivoted' });
      await device.close();
    }));
});
