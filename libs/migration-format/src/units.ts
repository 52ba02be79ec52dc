/**
 * How sizes, rates, durations and ETAs of migrations read, in volctl and in the web console alike.
 * Runs in a browser too: no Node-only imports.
 */

const BINARY = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** What a figure the API does not know (yet) reads as. */
export const UNKNOWN = '-';

// K, M, G and T are binary, as dd, qemu-img and Cinder's bps limits read them ("64M" is 64 MiB);
// KB, MB... are decimal, KiB, MiB... (and Kubernetes' Ki, Mi...) binary. A trailing "/s" (or "B/s", "ps") is allowed for rates.
const MULTIPLIERS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
  t: 1024 ** 4,
  ki: 1024,
  mi: 1024 ** 2,
  gi: 1024 ** 3,
  ti: 1024 ** 4,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
  kb: 1000,
  mb: 1000 ** 2,
  gb: 1000 ** 3,
  tb: 1000 ** 4,
};
const SIZE = /^(\d+(?:\.\d+)?)\s*([kmgt]i?b?|b)?(?:\/s|ps)?$/i;

/** "200M", "1.5GiB", "64 MiB/s", "1000000" as a whole number of bytes; anything else is a RangeError naming the text. */
export function parseSize(text: string): number {
  const match = SIZE.exec(text.trim());
  const multiplier = match ? MULTIPLIERS[(match[2] ?? '').toLowerCase()] : undefined;
  if (!match || multiplier === undefined) {
    throw new RangeError(`invalid size '${text}': a number with an optional unit (K, M, G, T, KiB, MiB, GiB, KB, MB, GB), e.g. 200M`);
  }
  const bytes = Math.round(Number(match[1]) * multiplier);
  if (bytes < 1 || !Number.isSafeInteger(bytes)) throw new RangeError(`invalid size '${text}': must be at least 1 byte`);
  return bytes;
}

/** The bytes in the largest binary unit they fill at least once: 1536 → [1.5, 1] (KiB). */
function inUnit(bytes: number): [number, number] {
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < BINARY.length - 1) {
    value /= 1024;
    unit++;
  }
  return [value, unit];
}

/** 1536 → "1.5 KiB": binary units, one decimal from KiB up. */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return UNKNOWN;
  const [value, unit] = inUnit(bytes);
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${BINARY[unit]}`;
}

/**
 * A round binary size as short as it is exact, for a chart's ticks: 384 MiB → "384 MiB", 1.25 GiB →
 * "1.25 GiB" (up to three decimals, where formatBytes would round 1.25 GiB to "1.3 GiB").
 */
export function formatBytesCompact(bytes: number): string {
  const [value, unit] = inUnit(bytes);
  return `${Number(value.toFixed(3))} ${BINARY[unit]}`;
}

export function formatRate(bytesPerSecond: number | null | undefined): string {
  return bytesPerSecond === null || bytesPerSecond === undefined ? UNKNOWN : `${formatBytes(bytesPerSecond)}/s`;
}

/** 3725 → "1h 02m 05s", 65 → "1m 05s", 9.4 → "9s"; unknown → "-". */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return UNKNOWN;
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  const two = (n: number) => String(n).padStart(2, '0');
  if (h > 0) return `${h}h ${two(m)}m ${two(rest)}s`;
  if (m > 0) return `${m}m ${two(rest)}s`;
  return `${rest}s`;
}

/**
 * The ETA as the API explains it (`eta_state`, issue 14 §1): a number when there is one, else why
 * there is none. A throttled copy's ETA is at the limit's pace, and says so.
 */
export function formatEta(seconds: number | null | undefined, state: string | null | undefined): string {
  const known = seconds !== null && seconds !== undefined;
  switch (state) {
    case 'measuring':
      return 'measuring';
    case 'stalled':
      return 'stalled';
    case 'throttled':
      return known ? `${formatDuration(seconds)} (throttled)` : 'throttled';
    case 'unknown':
      return UNKNOWN;
    default:
      return known ? formatDuration(seconds) : UNKNOWN;
  }
}

/** "stalled for 45 s", "stalled for 3 min", "stalled for 2 h 5 min": how long no byte has moved. */
export function formatStall(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `stalled for ${s} s`;
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return `stalled for ${minutes} min`;
  const rest = minutes % 60;
  return `stalled for ${Math.floor(minutes / 60)} h${rest ? ` ${rest} min` : ''}`;
}
