import { DirtyBitmap } from './dirty-bitmap';

describe('DirtyBitmap', () => {
  // 10 granules of 100 bytes (the last one 50), chunks of 4 granules: [0..3] [4..7] [8..9].
  const make = (allDirty: boolean) => new DirtyBitmap(950, 100, 400, allDirty);

  it('when created all dirty, then every byte is dirty, the short last granule counted by its size', () => {
    const bitmap = make(true);
    expect(bitmap.dirtyBytes).toBe(950);
    expect(bitmap.chunks).toBe(3);
    expect(bitmap.takeChunk(2)).toEqual([{ offset: 800, length: 150 }]);
    expect(bitmap.dirtyBytes).toBe(800);
  });

  it('when a range is set, then every granule it touches is dirty, once', () => {
    const bitmap = make(false);
    bitmap.set(150, 100);
    bitmap.set(199, 1);
    expect(bitmap.dirtyBytes).toBe(200);
    expect(bitmap.any(0, 100)).toBe(false);
    expect(bitmap.any(299, 1)).toBe(true);
    expect(bitmap.any(300, 650)).toBe(false);
  });

  it('when a chunk is taken, then its dirty granules come back as maximal runs and are clear', () => {
    const bitmap = make(false);
    bitmap.set(0, 1);
    bitmap.set(200, 150);
    bitmap.set(500, 1);
    expect(bitmap.takeChunk(0)).toEqual([
      { offset: 0, length: 100 },
      { offset: 200, length: 200 },
    ]);
    expect(bitmap.isChunkDirty(0)).toBe(false);
    expect(bitmap.dirtyBytes).toBe(100);
    expect(bitmap.takeChunk(0)).toEqual([]);
  });

  it('when looking for the next dirty chunk, then it starts at the cursor and passes over excluded chunks', () => {
    const bitmap = make(false);
    bitmap.set(0, 1);
    bitmap.set(900, 1);
    expect(bitmap.nextDirtyChunk(0, () => false)).toBe(0);
    expect(bitmap.nextDirtyChunk(1, () => false)).toBe(2);
    expect(bitmap.nextDirtyChunk(0, (c) => c === 0)).toBe(2);
    bitmap.takeChunk(2);
    expect(bitmap.nextDirtyChunk(1, () => false)).toBe(-1);
  });

  it('chunksOf names the chunks a range touches, ascending', () => {
    const bitmap = make(false);
    expect(bitmap.chunksOf(399, 2)).toEqual([0, 1]);
    expect(bitmap.chunksOf(0, 950)).toEqual([0, 1, 2]);
    expect(bitmap.chunksOf(10, 0)).toEqual([]);
  });

  it('rejects a chunk size that is not a multiple of the granularity', () => {
    expect(() => new DirtyBitmap(1000, 100, 150, true)).toThrow(RangeError);
  });
});
