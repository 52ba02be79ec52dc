/**
 * Ticks for a byte (or bytes-per-second) axis at multiples of a power of two, so that they read as
 * round binary sizes (128, 256, 384 MiB) rather than decimal steps shown in binary units (190.7 MiB):
 * the smallest such step that leaves at most `most` ticks between `min` and `max`.
 */
export function binaryTicks(min: number, max: number, most: number): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max) || max < min) return [];
  let step = 1;
  while ((max - min) / step > Math.max(1, most)) step *= 2;
  const ticks: number[] = [];
  for (let t = Math.ceil(min / step) * step; t <= max; t += step) ticks.push(t);
  return ticks;
}
