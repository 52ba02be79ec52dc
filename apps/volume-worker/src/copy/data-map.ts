import { execFile } from 'node:child_process';

/** `[start, end)` in bytes. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface DataMapOptions {
  /** The `filefrag` to run (default: `filefrag` on the PATH, from e2fsprogs, which Debian always has). */
  filefrag?: string;
  /** A map that takes longer is not waited for: the copy reads every block instead (default 30 s). */
  timeoutMs?: number;
  /** Stops `filefrag` (the copy was aborted): resolves null. */
  signal?: AbortSignal;
}

/**
 * More output than this (about 300 000 extents) is not parsed: splitting it would hold the event
 * loop (probes, heartbeats, other copies' streams) for too long, so such a file is read whole.
 */
const MAX_OUTPUT_BYTES = 32 * 1024 * 1024;

/**
 * The byte ranges of `path` that hold data, so that a copy never reads its holes. Node has no
 * lseek(SEEK_DATA/SEEK_HOLE), so the filesystem's extent map (FIEMAP) comes from e2fsprogs'
 * `filefrag`, which fsyncs the file first (`-s`: no extent is still waiting for delayed
 * allocation) and reports in bytes (`-b1`). Unwritten extents (preallocated, reading as zeroes)
 * count as holes. Resolves null when the map cannot be had (no `filefrag`, a filesystem without
 * FIEMAP such as tmpfs or NFS, output it does not recognise): the copy then reads every block and
 * finds holes by their content, as before.
 */
export async function dataRanges(path: string, opts: DataMapOptions = {}): Promise<ByteRange[] | null> {
  // A user's PATH often lacks /usr/sbin, where Debian puts filefrag.
  for (const filefrag of opts.filefrag ? [opts.filefrag] : ['filefrag', '/usr/sbin/filefrag', '/sbin/filefrag']) {
    const run = await runFilefrag(filefrag, path, opts.timeoutMs ?? 30_000, opts.signal);
    if (run !== 'not-found') return run;
  }
  return null;
}

function runFilefrag(filefrag: string, path: string, timeoutMs: number, signal?: AbortSignal): Promise<ByteRange[] | null | 'not-found'> {
  return new Promise((resolve) => {
    execFile(
      filefrag,
      ['-s', '-v', '-b1', path],
      { timeout: timeoutMs, maxBuffer: MAX_OUTPUT_BYTES, signal, env: { ...process.env, LC_ALL: 'C' } },
      (err, stdout) => {
        if ((err as NodeJS.ErrnoException | null)?.code === 'ENOENT') resolve('not-found');
        else resolve(err ? null : parseFilefrag(stdout));
      },
    );
  });
}

/** `ext: first..last: physical..physical: length:` then `expected:` when there is one, then the flags. */
const EXTENT = /^\s*\d+:\s*(\d+)\.\.\s*(\d+):\s*\d+\.\.\s*\d+:\s*(\d+):(.*)$/;
const EXTENT_LIKE = /^\s*\d+:/;
const FOUND = /: (\d+) extents? found\s*$/;

/**
 * Parses `filefrag -v -b1` output into sorted, merged data ranges; null unless it looks whole: the
 * size line in bytes and the closing "N extents found" line (N counts runs of contiguous extents,
 * not the lines `-v` lists, so it is not compared).
 */
export function parseFilefrag(output: string): ByteRange[] | null {
  const lines = output.split('\n');
  if (!lines.some((l) => /^File size of .* is \d+ \(\d+ blocks? of 1 bytes?\)/.test(l))) return null;
  if (!lines.some((l) => FOUND.test(l))) return null;
  const ranges: ByteRange[] = [];
  for (const line of lines) {
    if (!EXTENT_LIKE.test(line)) continue;
    // A line that looks like an extent but does not parse would be data left out: no map at all.
    const m = EXTENT.exec(line);
    if (!m) return null;
    const [, first, last, length, rest] = m;
    const flags = rest.slice(rest.lastIndexOf(':') + 1);
    const start = Number(first);
    const end = Number(last) + 1;
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end - start !== Number(length)) return null;
    if (flags.split(',').some((f) => f.trim() === 'unwritten')) continue;
    ranges.push({ start, end });
  }
  ranges.sort((a, b) => a.start - b.start);
  const merged: ByteRange[] = [];
  for (const r of ranges) {
    const last = merged[merged.length - 1];
    if (last && r.start <= last.end) last.end = Math.max(last.end, r.end);
    else merged.push({ ...r });
  }
  return merged;
}

/**
 * Bytes a copy of `[from, to)` in blocks of `blockSize` (block boundaries at multiples of it) will
 * read: the blocks that overlap the data ranges, or everything without a map.
 */
export function bytesToRead(ranges: readonly ByteRange[] | null, from: number, to: number, blockSize: number): number {
  if (!ranges) return Math.max(0, to - from);
  let bytes = 0;
  for (let offset = from; offset < to; offset += blockSize) {
    const end = Math.min(offset + blockSize, to);
    if (overlapsData(ranges, offset, end)) bytes += end - offset;
  }
  return bytes;
}

/** Whether `[start, end)` holds any byte of `ranges` (sorted, merged). */
export function overlapsData(ranges: readonly ByteRange[], start: number, end: number): boolean {
  // The first range that ends after `start`, by binary search.
  let lo = 0;
  let hi = ranges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ranges[mid].end <= start) lo = mid + 1;
    else hi = mid;
  }
  return lo < ranges.length && ranges[lo].start < end;
}
