import { readdir, readlink, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { copyVolumeData, CopySink, localSink, remoteSink } from './copy-engine';
import { ByteThrottle } from '@volume/platform';
import { MigrationDataServer } from './data-server';
import { allocatedBytes, MIB, readRange, sameContent, sparseFile, tempDir } from '../../test/copy-helpers';

const SIZE = 64 * MIB;
const BLOCK = 4 * MIB;
const SECRET = 'per-migration-secret';

/**
 * 16 blocks of 4 MiB: data in blocks 0, 3-4 and the end of 15; 100 bytes at the start of block 2
 * (a block with any data is copied whole); block 5 written with zeroes (allocated on the source,
 * a hole on the destination); every other block a hole.
 */
const LAYOUT = [
  { at: 0, length: BLOCK },
  { at: 2 * BLOCK, length: 100 },
  { at: 3 * BLOCK, length: 2 * BLOCK },
  { at: 5 * BLOCK, data: Buffer.alloc(BLOCK) },
  { at: SIZE - MIB, length: MIB },
];
const DATA_BLOCKS_BYTES = 5 * BLOCK;

/** Descriptors this process holds on `path`. */
async function fdsOn(path: string): Promise<number> {
  const targets = await Promise.all(
    (await readdir('/proc/self/fd')).map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => '')),
  );
  return targets.filter((t) => t === path).length;
}

describe('copyVolumeData', () => {
  let dir: string;
  let source: string;
  let dest: string;
  let server: MigrationDataServer;
  let sink: CopySink | undefined;

  beforeAll(async () => {
    dir = await tempDir('copy-engine-');
    source = join(dir, 'source');
    await sparseFile(source, SIZE, LAYOUT);
    server = new MigrationDataServer({ host: '127.0.0.1', port: 0, syncIntervalMs: 0 });
    await server.start();
  });

  afterAll(async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    dest = join(dir, `dest-${Math.random().toString(36).slice(2)}`);
    await sparseFile(dest, SIZE);
  });

  afterEach(async () => {
    await sink?.close();
    sink = undefined;
    await rm(dest, { force: true });
  });

  function remote(migrationId = 'm-1', path = dest, secret = SECRET): CopySink {
    const { url } = server.register({ migrationId, path, sizeBytes: SIZE, secret });
    sink = remoteSink(url, secret);
    return sink;
  }

  function local(): CopySink {
    sink = localSink(dest);
    return sink;
  }

  it.each([
    ['locally', () => local()],
    ['to another worker', () => remote()],
  ])('copies %s byte for byte, writing the blocks with data and leaving holes as holes', async (_where, makeSink) => {
    const result = await copyVolumeData({ sourcePath: source, sizeBytes: SIZE, sink: makeSink() });
    // Read: only the blocks the extent map shows data in (block 5's written zeroes included).
    expect(result).toEqual({ bytesCopied: DATA_BLOCKS_BYTES, bytesSkipped: SIZE - DATA_BLOCKS_BYTES, bytesRead: DATA_BLOCKS_BYTES + BLOCK });
    expect(await sameContent(source, dest)).toBe(true);
    const allocated = await allocatedBytes(dest);
    expect(allocated).toBeGreaterThanOrEqual(DATA_BLOCKS_BYTES);
    expect(allocated).toBeLessThan(DATA_BLOCKS_BYTES + MIB);
  });

  it('without an extent map, reads every block and still leaves the holes it finds by content', async () => {
    const result = await copyVolumeData({ sourcePath: source, sizeBytes: SIZE, sink: local(), dataRanges: null });
    expect(result).toEqual({ bytesCopied: DATA_BLOCKS_BYTES, bytesSkipped: SIZE - DATA_BLOCKS_BYTES, bytesRead: SIZE });
    expect(await sameContent(source, dest)).toBe(true);
  });

  it('trusts the map it is given: a block outside the data ranges is neither read nor written', async () => {
    // A map that leaves block 3 out: block 3 stays a hole on the destination although the source has data there.
    const ranges = [
      { start: 0, end: 3 * BLOCK },
      { start: 4 * BLOCK, end: SIZE },
    ];
    const result = await copyVolumeData({ sourcePath: source, sizeBytes: SIZE, sink: local(), dataRanges: ranges });
    expect(result.bytesRead).toBe(SIZE - BLOCK);
    expect((await readRange(dest, 3 * BLOCK, BLOCK)).equals(Buffer.alloc(BLOCK))).toBe(true);
    expect((await readRange(dest, 4 * BLOCK, BLOCK)).equals(await readRange(source, 4 * BLOCK, BLOCK))).toBe(true);
  });

  it('reports progress after every block, holes included, never decreasing and ending at the size', async () => {
    const progress: number[] = [];
    const reads: number[] = [];
    const plans: number[] = [];
    const checkpoints: { durable: number; processed: number }[] = [];
    const result = await copyVolumeData({
      sourcePath: source,
      sizeBytes: SIZE,
      segmentBytes: 16 * MIB,
      sink: remote(),
      onPlan: ({ bytesToRead }) => plans.push(bytesToRead),
      onProgress: (p, read) => {
        progress.push(p);
        reads.push(read);
      },
      onCheckpoint: (durable) => checkpoints.push({ durable, processed: progress.at(-1) ?? 0 }),
    });
    expect(progress).toEqual(Array.from({ length: 16 }, (_, i) => (i + 1) * BLOCK));
    // The plan, known once the map is, is what the copy then reads; the reads only ever grow.
    expect(plans).toEqual([result.bytesRead]);
    expect(reads).toEqual([...reads].sort((a, b) => a - b));
    expect(reads.at(-1)).toBe(result.bytesRead);
    const durable = checkpoints.map((c) => c.durable);
    expect(durable).toEqual([...durable].sort((a, b) => a - b));
    expect(new Set(durable).size).toBe(durable.length);
    expect(durable.at(-1)).toBe(SIZE);
    // A checkpoint never runs ahead of what was processed.
    for (const c of checkpoints) expect(c.durable).toBeLessThanOrEqual(c.processed);
  });

  it('resumes from a checkpoint rounded down to a block, copying only the rest', async () => {
    const marker = Buffer.from('written before the restart');
    await sparseFile(dest, SIZE, [{ at: 0, data: marker }]);
    const progress: number[] = [];
    const result = await copyVolumeData({
      sourcePath: source,
      sizeBytes: SIZE,
      startOffset: 8 * BLOCK + 5,
      sink: remote(),
      onProgress: (p) => progress.push(p),
    });
    expect(result.bytesCopied + result.bytesSkipped).toBe(8 * BLOCK);
    expect(result.bytesCopied).toBe(BLOCK); // block 15, whose last MiB has data
    expect(result.bytesRead).toBe(BLOCK); // blocks 8-14 are holes in the map: not read
    expect(progress[0]).toBe(9 * BLOCK);
    expect((await readRange(dest, 0, marker.length)).equals(marker)).toBe(true);
    expect((await readRange(dest, 3 * BLOCK, 4096)).equals(Buffer.alloc(4096))).toBe(true);
    expect((await readRange(dest, SIZE - MIB, MIB)).equals(await readRange(source, SIZE - MIB, MIB))).toBe(true);
  });

  it('copies a size that is not a whole number of blocks, the last block short', async () => {
    const odd = join(dir, 'odd');
    const size = 2 * BLOCK + 12_345;
    await sparseFile(odd, size, [{ at: 2 * BLOCK, length: 12_345 }]);
    await sparseFile(dest, size);
    const result = await copyVolumeData({ sourcePath: odd, sizeBytes: size, sink: local() });
    expect(result).toEqual({ bytesCopied: 12_345, bytesSkipped: 2 * BLOCK, bytesRead: 12_345 });
    expect(await sameContent(odd, dest)).toBe(true);
  });

  it('holds a copy of data to the bytes-per-second limit, but lets holes through unthrottled', async () => {
    const full = join(dir, 'full');
    await sparseFile(full, 16 * MIB, [{ at: 0, length: 16 * MIB }]);
    const throttle = new ByteThrottle(8 * MIB);
    let started = performance.now();
    await copyVolumeData({ sourcePath: full, sizeBytes: 16 * MIB, sink: local(), throttle });
    expect(performance.now() - started).toBeGreaterThanOrEqual(1800);

    await sink?.close();
    const empty = join(dir, 'empty');
    await sparseFile(empty, SIZE);
    await sparseFile(dest, SIZE);
    started = performance.now();
    await copyVolumeData({ sourcePath: empty, sizeBytes: SIZE, sink: local(), throttle });
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('rejects with an AbortError when aborted mid-copy, closes what it opened, and the data server keeps serving', async () => {
    const abort = new AbortController();
    const copy = copyVolumeData({
      sourcePath: source,
      sizeBytes: SIZE,
      sink: remote(),
      throttle: new ByteThrottle(16 * MIB),
      signal: abort.signal,
      onProgress: (p) => p >= 2 * BLOCK && abort.abort(),
    });
    await expect(copy).rejects.toMatchObject({ name: 'AbortError' });
    await sink?.close();
    expect(await fdsOn(source)).toBe(0);
    await server.unregister('m-1');
    expect(await fdsOn(dest)).toBe(0);

    await sparseFile(dest, SIZE);
    await copyVolumeData({ sourcePath: source, sizeBytes: SIZE, sink: remote('m-2') });
    expect(await sameContent(source, dest)).toBe(true);
  });

  it('rejects with the HTTP status when the secret is wrong, and writes nothing', async () => {
    server.register({ migrationId: 'm-1', path: dest, sizeBytes: SIZE, secret: SECRET });
    const { url } = server.register({ migrationId: 'm-3', path: dest, sizeBytes: SIZE, secret: SECRET });
    sink = remoteSink(url, 'wrong');
    await expect(copyVolumeData({ sourcePath: source, sizeBytes: SIZE, sink })).rejects.toThrow(/HTTP 403: wrong secret/);
    expect(await allocatedBytes(dest)).toBe(0);
  });

  it('rejects with the reason the data server gives when it refuses a record mid-stream', async () => {
    const { url } = server.register({ migrationId: 'm-5', path: dest, sizeBytes: 8 * MIB, secret: SECRET });
    sink = remoteSink(url, SECRET);
    await expect(copyVolumeData({ sourcePath: source, sizeBytes: SIZE, sink })).rejects.toThrow(
      /refused the data: 400: record \[\d+, \+\d+\) lies beyond the target's 8388608 bytes/,
    );
  });

  it('sends a whole copy on one connection to the data server', async () => {
    let connections = 0;
    const count = () => connections++;
    (server as unknown as { server: import('node:http').Server }).server.on('connection', count);
    try {
      await copyVolumeData({ sourcePath: source, sizeBytes: SIZE, segmentBytes: BLOCK, sink: remote() });
    } finally {
      (server as unknown as { server: import('node:http').Server }).server.off('connection', count);
    }
    expect(connections).toBe(1);
    expect(await sameContent(source, dest)).toBe(true);
  });

  it('rejects with the network error when the destination worker is unreachable', async () => {
    const gone = new MigrationDataServer({ host: '127.0.0.1', port: 0 });
    await gone.start();
    const { url } = gone.register({ migrationId: 'm-4', path: dest, sizeBytes: SIZE, secret: SECRET });
    await gone.stop();
    sink = remoteSink(url, SECRET);
    await expect(copyVolumeData({ sourcePath: source, sizeBytes: SIZE, sink })).rejects.toThrow(
      /migration data stream to http:\/\/127\.0\.0\.1:\d+\/migrations\/m-4\/segments failed: .*ECONNREFUSED/,
    );
  });

  it('refuses a source shorter than the size to copy', async () => {
    await expect(copyVolumeData({ sourcePath: source, sizeBytes: SIZE + BLOCK, sink: local() })).rejects.toThrow(/fewer than/);
  });
});
