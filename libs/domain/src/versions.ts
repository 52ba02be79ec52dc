// Named microversions this library branches on (names as in Cinder's cinder/api/microversions.py)
// and a minimal comparison, so the rules stay independent of the HTTP-side microversion library.

export const GROUP_VOLUME = '3.13';
export const VOLUME_LIST_GLANCE_METADATA = '3.4';
export const VOLUME_LIST_GROUP = '3.10';
export const VOLUME_MIGRATE_CLUSTER = '3.16';
export const NEW_ATTACH = '3.27';
export const RESOURCE_FILTER = '3.31';
export const LIKE_FILTER = '3.34';
export const SUPPORT_COUNT_INFO = '3.45';
export const VOLUME_CREATE_FROM_BACKUP = '3.47';
export const SUPPORT_VOLUME_SCHEMA_CHANGES = '3.53';
export const ATTACHMENT_CREATE_MODE_ARG = '3.54';
export const VOLUME_TIME_COMPARISON_FILTER = '3.60';
export const USE_QUOTA = '3.65';

function parse(version: string): [number, number] {
  const match = /^(\d+)\.(\d+)$/.exec(version);
  if (!match) throw new Error(`Not a microversion: '${version}'`);
  return [Number(match[1]), Number(match[2])];
}

/** Negative, zero or positive as `a` is below, equal to or above `b`, comparing numerically. */
export function compareVersions(a: string, b: string): number {
  const [aMajor, aMinor] = parse(a);
  const [bMajor, bMinor] = parse(b);
  return aMajor !== bMajor ? aMajor - bMajor : aMinor - bMinor;
}

export function isAtLeast(version: string, minimum: string): boolean {
  return compareVersions(version, minimum) >= 0;
}
