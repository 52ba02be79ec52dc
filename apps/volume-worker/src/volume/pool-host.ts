/** Cinder's `host@backend#pool`, the value of a placed volume's `host` column. */
export interface PoolHost {
  host: string;
  backend: string;
  pool: string;
}

const POOL_HOST = /^([^@#]+)@([^@#]+)#([^@#]+)$/;

/** Null when the value lacks any of the three parts. */
export function parsePoolHost(value: string | null): PoolHost | null {
  const m = value === null ? null : POOL_HOST.exec(value);
  return m ? { host: m[1], backend: m[2], pool: m[3] } : null;
}
