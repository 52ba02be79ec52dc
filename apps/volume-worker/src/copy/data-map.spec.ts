import { execFileSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { bytesToRead, dataRanges, overlapsData, parseFilefrag } from './data-map';
import { MIB, sparseFile, tempDir } from '../../test/copy-helpers';

const OUTPUT = `Filesystem type is: ef53
File size of /data/volume is 67108864 (67108864 blocks of 1 bytes)
 ext:     logical_offset:        physical_offset: length:   expected: flags:
   0: 10485760..12582911: 240260218880..240262316031: 2097152:   10485760:
   1: 12582912..12587007: 240270213120..240270217215:   4096:
   2: 20480000..20484095: 240270213120..240270217215:   4096: 240262316032:
   3: 41943040..42991615: 240252878848..240253927423: 1048576: 240291676160: last,unwritten
/data/volume: 3 extents found
`;

describe('parseFilefrag', () => {
  it('turns the extents into sorted, merged data ranges, leaving unwritten extents out', () => {
    expect(parseFilefrag(OUTPUT)).toEqual([
      { start: 10 * MIB, end: 12 * MIB + 4096 },
      { start: 20_480_000, end: 20_484_096 },
    ]);
  });

  it('gives an empty map for a file without extents', () => {
    expect(parseFilefrag('Filesystem type is: ef53\nFile size of /v is 1073741824 (1073741824 blocks of 1 bytes)\n/v: 0 extents found\n')).toEqual([]);
  });

  it('gives no map for output it does not recognise', () => {
    expect(parseFilefrag('')).toBeNull();
    expect(parseFilefrag('Filesystem type is: 1021994\nFile size of /v is 16777216 (16777216 blocks of 1 bytes)\n/v: FIBMAP/FIEMAP unsupported\n')).toBeNull();
    // Blocks of 4096 bytes: the offsets would be blocks, not bytes.
    expect(parseFilefrag(OUTPUT.replace('(67108864 blocks of 1 bytes)', '(16384 blocks of 4096 bytes)'))).toBeNull();
    // An extent line it cannot read: no map, rather than data left out.
    expect(parseFilefrag(OUTPUT.replace('   2: 20480000..20484095:', '   2: 20480000-20484095:'))).toBeNull();
    // A length that does not match its range.
    expect(parseFilefrag(OUTPUT.replace('2097152:   10485760:', '2097153:   10485760:'))).toBeNull();
  });
});

describe('overlapsData', () => {
  const ranges = [
    { start: 100, end: 200 },
    { start: 300, end: 400 },
  ];
  it.each([
    [0, 100, false],
    [0, 101, true],
    [199, 300, true],
    [200, 300, false],
    [350, 360, true],
    [400, 1000, false],
  ])('[%i, %i) overlaps: %s', (start, end, expected) => {
    expect(overlapsData(ranges, start, end)).toBe(expected);
  });
  it('is false for an empty map', () => expect(overlapsData([], 0, 1e12)).toBe(false));
});

describe('bytesToRead', () => {
  it('counts the blocks that overlap data, a short last block at its length, everything without a map', () => {
    const ranges = [
      { start: 100, end: 200 },
      { start: 4000, end: 4100 },
    ];
    // Blocks of 1000 from 0 to 4500: [0,1000) and [4000,4500) hold data.
    expect(bytesToRead(ranges, 0, 4500, 1000)).toBe(1000 + 500);
    // From a resume point past the first range.
    expect(bytesToRead(ranges, 1000, 4500, 1000)).toBe(500);
    expect(bytesToRead([], 0, 4500, 1000)).toBe(0);
    expect(bytesToRead(null, 1000, 4500, 1000)).toBe(3500);
  });
});

describe('dataRanges (e2fsprogs filefrag on this filesystem)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir('data-map-');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('finds the data of a sparse file and leaves preallocated space out', async () => {
    const path = join(dir, 'volume');
    await sparseFile(path, 64 * MIB, [
      { at: 8 * MIB, length: 2 * MIB },
      { at: 40 * MIB + 4096, length: 100 },
    ]);
    execFileSync('fallocate', ['-o', String(50 * MIB), '-l', String(MIB), path]);
    expect(await dataRanges(path)).toEqual([
      { start: 8 * MIB, end: 10 * MIB },
      { start: 40 * MIB + 4096, end: 40 * MIB + 8192 },
    ]);
  });

  it('gives no map when filefrag cannot be run or the filesystem has no extent map', async () => {
    const path = join(dir, 'other');
    await sparseFile(path, MIB, [{ at: 0, length: 4096 }]);
    expect(await dataRanges(path, { filefrag: join(dir, 'no-such-filefrag') })).toBeNull();
    expect(await dataRanges(join(dir, 'missing'))).toBeNull();
    const shm = '/dev/shm';
    const onTmpfs = join(shm, `data-map-${process.pid}`);
    await sparseFile(onTmpfs, MIB, [{ at: 0, length: 4096 }]);
    try {
      expect(await dataRanges(onTmpfs)).toBeNull();
    } finally {
      await rm(onTmpfs, { force: true });
    }
  });
});
