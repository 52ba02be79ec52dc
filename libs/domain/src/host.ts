import { CodedError, ErrorCode } from './errors';

// Cinder's host strings: 'host@backend#pool' names a pool, 'host@backend' a backend (one
// cinder-volume service), 'host' the machine. volume_utils.extract_host and append_host.

export type HostLevel = 'host' | 'backend' | 'pool';

/** The pool name Cinder assumes for hosts that report no pools. */
export const DEFAULT_POOL_NAME = '_pool0';

/**
 * The `level` part of `host`. For 'pool', a host without exactly one '#' has no pool: null, or
 * DEFAULT_POOL_NAME when `defaultPoolName` is true.
 * @throws CodedError(InvalidVolume) "Invalid volume: volume is not assigned to a host" for null.
 */
export function extractHost(host: string | null, level: HostLevel = 'backend', defaultPoolName = false): string | null {
  if (host === null) {
    throw new CodedError(ErrorCode.InvalidVolume, 'Invalid volume: volume is not assigned to a host');
  }
  const parts = host.split('#');
  switch (level) {
    case 'host':
      return parts[0].split('@')[0];
    case 'backend':
      return parts[0];
    case 'pool':
      if (parts.length === 2) return parts[1];
      return defaultPoolName ? DEFAULT_POOL_NAME : null;
  }
}

/** 'host@backend' + 'pool' -> 'host@backend#pool'; an empty host or pool leaves `host` as is. */
export function appendHost(host: string, pool: string | null | undefined): string {
  return host && pool ? `${host}#${pool}` : host;
}
