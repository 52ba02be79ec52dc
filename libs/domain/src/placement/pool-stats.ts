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
