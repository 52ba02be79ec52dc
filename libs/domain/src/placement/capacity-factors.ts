import { pyRound2 } from '../python/numbers';

// Cinder's cinder/scheduler/sched_utils.calculate_capacity_factors: the figures both the capacity
// filter and the capacity weigher decide on. Derived figures are rounded to 2 decimals as Cinder
// rounds them, and comparisons are made on the rounded values as Cinder makes them.

export interface CapacityInputs {
  totalCapacityGb: number;
  freeCapacityGb: number;
  provisionedCapacityGb: number;
  thinProvisioningSupport: boolean;
  maxOverSubscriptionRatio: number;
  reservedPercentage: number;
  /** The volume asks for thin provisioning (its type does not say provisioning:type=thick). */
  thin: boolean;
}

export interface CapacityFactors {
  totalCapacity: number;
  freeCapacity: number;
  reservedCapacity: number;
  totalReservedAvailableCapacity: number;
  /** Null for thick provisioning, where it plays no part. */
  maxOverSubscriptionRatio: number | null;
  totalAvailableCapacity: number;
  provisionedCapacity: number;
  calculatedFreeCapacity: number;
  virtualFreeCapacity: number;
  freePercent: number;
  provisionedRatio: number;
  provisionedType: 'thin' | 'thick';
}

export function calculateCapacityFactors(inputs: CapacityInputs): CapacityFactors {
  const total = inputs.totalCapacityGb;
  const reserved = inputs.reservedPercentage / 100;
  const reservedCapacity = Math.floor(total * reserved);
  const totalReservedAvailable = total - reservedCapacity;
  const thin = inputs.thin && inputs.thinProvisioningSupport;

  const totalAvailable = thin ? totalReservedAvailable * inputs.maxOverSubscriptionRatio : totalReservedAvailable;
  const calculatedFree = totalAvailable - inputs.provisionedCapacityGb;
  // A thick pool may report less free space than the books say (space used outside Cinder).
  const virtualFree = !thin && inputs.freeCapacityGb < calculatedFree ? inputs.freeCapacityGb : calculatedFree;

  return {
    totalCapacity: total,
    freeCapacity: inputs.freeCapacityGb,
    reservedCapacity,
    totalReservedAvailableCapacity: pyRound2(totalReservedAvailable),
    maxOverSubscriptionRatio: thin ? inputs.maxOverSubscriptionRatio : null,
    totalAvailableCapacity: pyRound2(totalAvailable),
    provisionedCapacity: inputs.provisionedCapacityGb,
    calculatedFreeCapacity: pyRound2(calculatedFree),
    virtualFreeCapacity: pyRound2(virtualFree),
    freePercent: totalAvailable ? pyRound2((virtualFree / totalAvailable) * 100) : 0,
    provisionedRatio: totalAvailable ? pyRound2(inputs.provisionedCapacityGb / totalAvailable) : 0,
    provisionedType: thin ? 'thin' : 'thick',
  };
}

/** The volume asks for thin provisioning unless its type says provisioning:type=thick. */
export function wantsThin(extraSpecs: Readonly<Record<string, string>>): boolean {
  return extraSpecs['provisioning:type'] !== 'thick';
}
