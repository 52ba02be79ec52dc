/**
 * The limit a copy runs under when two apply (a host's for all its copies, a migration's own):
 * the lower one. Bytes per second; 0 means none.
 */
export function tighterLimit(a: number, b: number): number {
  return a > 0 && b > 0 ? Math.min(a, b) : Math.max(a, b, 0);
}
