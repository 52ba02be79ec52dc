import type { DirtyBitmap } from './dirty-bitmap';

/** Shared by every mirror: comparing against it is a memcmp. */
let zeroes = Buffer.alloc(1024 * 1024);

function isAllZero(data: Buffer): boolean {
  if (zeroes.length < data.length) zeroes = Buffer.alloc(data.length);
  return data.equals(zeroes.subarray(0, data.length));
}

type Part = { offset: number; data: Buffer };

/** The granules of `data` (at `offset`) that `needed` keeps, adjacent ones joined into one part. */
function neededParts(offset: number, data: Buffer, granularity: number, needed: (at: number, end: number) => boolean): Part[] {
  const parts: Part[] = [];
  let start = -1;
  const flush = (end: number): void => {
    if (start >= 0) parts.push({ offset: offset + start, data: data.subarray(start, end) });
    start = -1;
  };
  for (let at = 0; at < data.length; at += granularity) {
    const end = Math.min(at + granularity, data.length);
    if (needed(at, end)) {
      if (start < 0) start = at;
    } else {
      flush(at);
    }
  }
  flush(data.length);
  return parts;
}

/**
 * What of `data` (read from the source at the granule-aligned `offset`) a target that reads as
 * zeroes needs: granules that are zero in the source are holes, unless `written` says the mirror
 * put something there. Adjacent needed granules come back as one part.
 */
export function partsToWrite(offset: number, data: Buffer, granularity: number, written: DirtyBitmap): Part[] {
  return neededParts(offset, data, granularity, (at, end) => !isAllZero(data.subarray(at, end)) || written.any(offset + at, end - at));
}

/**
 * What of `source` (read at the granule-aligned `offset`) differs from `target`, the same range as
 * the target holds it now: the granules to write when the target holds an earlier copy. Adjacent
 * differing granules come back as one part.
 */
export function changedParts(offset: number, source: Buffer, target: Buffer, granularity: number): Part[] {
  return neededParts(offset, source, granularity, (at, end) => !source.subarray(at, end).equals(target.subarray(at, end)));
}
