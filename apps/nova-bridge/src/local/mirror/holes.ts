import type { DirtyBitmap } from './dirty-bitmap';

/** Shared by every mirror: comparing against it is a memcmp. */
let zeroes = Buffer.alloc(1024 * 1024);

function isAllZero(data: Buffer): boolean {
  if (zeroes.length < data.length) zeroes = Buffer.alloc(data.length);
  return data.equals(zeroes.subarray(0, data.length));
}

/**
 * What of `data` (read from the source at the granule-aligned `offset`) a target that reads as
 * zeroes needs: granules that are zero in the source are holes, unless `written` says the mirror
 * put something there. Adjacent needed granules come back as one part.
 */
export function partsToWrite(offset: number, data: Buffer, granularity: number, written: DirtyBitmap): { offset: number; data: Buffer }[] {
  const parts: { offset: number; data: Buffer }[] = [];
  let start = -1;
  const flush = (end: number): void => {
    if (start >= 0) parts.push({ offset: offset + start, data: data.subarray(start, end) });
    start = -1;
  };
  for (let at = 0; at < data.length; at += granularity) {
    const end = Math.min(at + granularity, data.length);
    if (!isAllZero(data.subarray(at, end)) || written.any(offset + at, end - at)) {
      if (start < 0) start = at;
    } else {
      flush(at);
    }
  }
  flush(data.length);
  return parts;
}
