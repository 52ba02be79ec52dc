import { extractHost } from '../host';
import { calculateCapacityFactors, wantsThin } from './capacity-factors';
import { matchExtraSpec } from './extra-specs-ops';
import type { CapabilityValue, FilterVerdict, PoolFilter, PoolStats } from './pool-stats';

// Cinder's default scheduler filters (scheduler_default_filters). Each says why it turned a
// pool down, for the scheduler's logs.

const PASS: FilterVerdict = { passed: true };

function reject(reason: string): FilterVerdict {
  return { passed: false, reason };
}

/** cinder/scheduler/filters/availability_zone_filter.py */
export const AvailabilityZoneFilter: PoolFilter = {
  name: 'AvailabilityZoneFilter',
  check(pool, request) {
    const zones = request.availabilityZones ?? [];
    if (zones.length > 0) {
      return zones.includes(pool.availabilityZone)
        ? PASS
        : reject(`availability zone ${pool.availabilityZone} is not one of ${zones.join(', ')}`);
    }
    const wanted = request.availabilityZone;
    if (wanted && wanted !== pool.availabilityZone) {
      return reject(`availability zone ${pool.availabilityZone} is not ${wanted}`);
    }
    return PASS;
  },
};

/** cinder/scheduler/filters/capacity_filter.py over calculate_capacity_factors. */
export const CapacityFilter: PoolFilter = {
  name: 'CapacityFilter',
  check(pool, request) {
    if (request.existsOn !== undefined && pool.host === request.existsOn) return PASS;
    const requested = request.sizeGb;
    // Size 0 is a manage request: the data is already there.
    if (requested === 0) return PASS;
    const free = pool.freeCapacityGb;
    const total = pool.totalCapacityGb;
    if (free === null) return reject('free capacity is not reported');
    // Such backends cannot say; scheduling on them relies on the retry when creation fails.
    if (free === 'infinite' || free === 'unknown') return PASS;
    if (total === 'infinite' || total === 'unknown') {
      return pool.reservedPercentage === 0
        ? PASS
        : reject(`cannot reserve ${pool.reservedPercentage}% of a ${total} total capacity`);
    }
    if (total <= 0) return reject(`total capacity is ${total} GB`);

    const thin = wantsThin(request.extraSpecs);
    const ratio = pool.maxOverSubscriptionRatio;
    const factors = calculateCapacityFactors({
      totalCapacityGb: total,
      freeCapacityGb: free,
      provisionedCapacityGb: pool.provisionedCapacityGb,
      thinProvisioningSupport: pool.thinProvisioningSupport,
      maxOverSubscriptionRatio: ratio,
      reservedPercentage: pool.reservedPercentage,
      thin,
    });
    if (thin && pool.thinProvisioningSupport) {
      if (ratio < 1) return reject(`max over subscription ratio ${ratio} is below 1`);
      const provisionedRatio = (pool.provisionedCapacityGb + requested) / factors.totalAvailableCapacity;
      if (provisionedRatio > ratio) {
        return reject(
          `provisioned ratio ${provisionedRatio.toFixed(2)} would exceed max over subscription ratio ${ratio.toFixed(2)}`,
        );
      }
    }
    return factors.virtualFreeCapacity >= requested
      ? PASS
      : reject(`requested ${requested} GB, ${factors.provisionedType} virtual free ${factors.virtualFreeCapacity} GB`);
  },
};

/** The capability dictionary Cinder's CapabilitiesFilter matches extra specs against. */
export function poolCapabilities(pool: PoolStats): Readonly<Record<string, CapabilityValue>> {
  return {
    ...pool.capabilities,
    pool_name: extractHost(pool.host, 'pool'),
    volume_backend_name: pool.volumeBackendName,
    storage_protocol: pool.storageProtocol,
    driver_version: pool.driverVersion,
    total_capacity_gb: pool.totalCapacityGb,
    free_capacity_gb: pool.freeCapacityGb,
    provisioned_capacity_gb: pool.provisionedCapacityGb,
    allocated_capacity_gb: pool.allocatedCapacityGb,
    reserved_percentage: pool.reservedPercentage,
    max_over_subscription_ratio: pool.maxOverSubscriptionRatio,
    thin_provisioning_support: pool.thinProvisioningSupport,
    thick_provisioning_support: pool.thickProvisioningSupport,
  };
}

/** cinder/scheduler/filters/capabilities_filter.py */
export const CapabilitiesFilter: PoolFilter = {
  name: 'CapabilitiesFilter',
  check(pool, request) {
    const capabilities = poolCapabilities(pool);
    for (const [key, requirement] of Object.entries(request.extraSpecs)) {
      const scope = key.split(':');
      // Other scopes (provisioning:, RESKEY:, vendor ones) are not capabilities.
      if (scope.length > 1 && scope[0] !== 'capabilities') continue;
      if (scope[0] === 'capabilities') scope.shift();
      const reported = lookUp(capabilities, scope);
      if (reported === undefined) return reject(`capability '${scope.join(':')}' is not reported`);
      const values = Array.isArray(reported) ? (reported as readonly CapabilityValue[]) : [reported];
      if (!values.some((value) => matchExtraSpec(value, requirement))) {
        return reject(`extra spec ${key}='${requirement}' does not match reported ${JSON.stringify(reported)}`);
      }
    }
    return PASS;
  },
};

function lookUp(
  capabilities: Readonly<Record<string, CapabilityValue>>,
  path: readonly string[],
): CapabilityValue | undefined {
  let current: CapabilityValue = capabilities;
  for (const key of path) {
    if (typeof current !== 'object' || current === null || Array.isArray(current) || !Object.hasOwn(current, key)) {
      return undefined;
    }
    current = (current as Readonly<Record<string, CapabilityValue>>)[key];
  }
  return current;
}

/** scheduler_default_filters, in Cinder's order. */
export const DEFAULT_POOL_FILTERS: readonly PoolFilter[] = [AvailabilityZoneFilter, CapacityFilter, CapabilitiesFilter];
