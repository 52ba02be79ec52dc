/** What a backend reports for capacity it cannot measure (thin pools on some arrays). */
export type CapacityGb = number | 'infinite' | 'unknown';

export type CapabilityValue =
  | string
  | number
  | boolean
  | null
  | readonly CapabilityValue[]
  | { readonly [key: string]: CapabilityValue };

/** One pool as its cinder-volume service last reported it. */
export interface PoolStats {
  /** 'host@backend#pool' */
  host: string;
  /** The availability zone of the service that owns the pool. */
  availabilityZone: string;
  totalCapacityGb: CapacityGb;
  /** Null when the report lacks it, which disqualifies the pool. */
  freeCapacityGb: CapacityGb | null;
  provisionedCapacityGb: number;
  allocatedCapacityGb: number;
  reservedPercentage: number;
  maxOverSubscriptionRatio: number;
  thinProvisioningSupport: boolean;
  thickProvisioningSupport: boolean;
  volumeBackendName: string;
  storageProtocol: string;
  driverVersion: string;
  /** Further driver capabilities (multiattach, vendor keys...) that extra specs may ask for. */
  capabilities?: Readonly<Record<string, CapabilityValue>>;
}

export interface PlacementRequest {
  sizeGb: number;
  /** The zone the volume asked for. */
  availabilityZone?: string | null;
  /** Zones the volume type restricts to (RESKEY:availability_zones); wins over availabilityZone. */
  availabilityZones?: readonly string[];
  /** The volume type's extra specs. */
  extraSpecs: Readonly<Record<string, string>>;
  /** The pool the volume already lives on (retype): its capacity is not checked again. */
  existsOn?: string;
  /** Only for messages. */
  volumeId?: string;
}

export type FilterVerdict = { passed: true } | { passed: false; reason: string };

/** A scheduler filter: a pure judgement of one pool for one request. */
export interface PoolFilter {
  readonly name: string;
  check(pool: PoolStats, request: PlacementRequest): FilterVerdict;
}

export interface Rejection {
  pool: string;
  filter: string;
  reason: string;
}

export interface WeighedPool {
  pool: PoolStats;
  weight: number;
}

/** A pool as stored from its worker's last report (the `pools` row, capabilities as reported). */
export interface StoredPool {
  name: string;
  availabilityZone: string;
  totalCapacityGb: number;
  freeCapacityGb: number;
  capabilities: Record<string, unknown>;
}

/**
 * The placement view of a stored pool. Volumes are sparse files, so what is provisioned is what was
 * allocated to them; `allocatedGb` is summed from the volumes placed on the pool.
 */
export function poolStatsOf(pool: StoredPool, allocatedGb: number): PoolStats {
  const c = pool.capabilities;
  return {
    host: pool.name,
    availabilityZone: pool.availabilityZone,
    totalCapacityGb: pool.totalCapacityGb,
    freeCapacityGb: pool.freeCapacityGb,
    allocatedCapacityGb: allocatedGb,
    provisionedCapacityGb: allocatedGb,
    reservedPercentage: Number(c.reservedPercentage ?? 0),
    maxOverSubscriptionRatio: Number(c.maxOverSubscriptionRatio ?? 20),
    thinProvisioningSupport: Boolean(c.thinProvisioningSupport),
    thickProvisioningSupport: Boolean(c.thickProvisioningSupport),
    volumeBackendName: String(c.volumeBackendName ?? ''),
    storageProtocol: String(c.storageProtocol ?? ''),
    driverVersion: String(c.driverVersion ?? ''),
  };
}
