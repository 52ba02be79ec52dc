import { calculateCapacityFactors, wantsThin } from './capacity-factors';

// Expected figures were computed with Cinder's own sched_utils.calculate_capacity_factors.
describe('calculateCapacityFactors', () => {
  const inputs = {
    totalCapacityGb: 100,
    freeCapacityGb: 30,
    provisionedCapacityGb: 50,
    thinProvisioningSupport: true,
    maxOverSubscriptionRatio: 20,
    reservedPercentage: 10,
    thin: true,
  };

  it('over-subscribes the unreserved capacity of a thin pool', () => {
    expect(calculateCapacityFactors(inputs)).toEqual({
      totalCapacity: 100,
      freeCapacity: 30,
      reservedCapacity: 10,
      totalReservedAvailableCapacity: 90,
      maxOverSubscriptionRatio: 20,
      totalAvailableCapacity: 1800,
      provisionedCapacity: 50,
      calculatedFreeCapacity: 1750,
      virtualFreeCapacity: 1750,
      freePercent: 97.22,
      provisionedRatio: 0.03,
      provisionedType: 'thin',
    });
  });

  it('caps a thick request by the reported free space', () => {
    expect(calculateCapacityFactors({ ...inputs, thin: false })).toMatchObject({
      maxOverSubscriptionRatio: null,
      totalAvailableCapacity: 90,
      calculatedFreeCapacity: 40,
      virtualFreeCapacity: 30,
      freePercent: 33.33,
      provisionedRatio: 0.56,
      provisionedType: 'thick',
    });
  });

  it('treats a thin request on a pool without thin support as thick', () => {
    expect(calculateCapacityFactors({ ...inputs, thinProvisioningSupport: false, provisionedCapacityGb: 20 })).toMatchObject({
      virtualFreeCapacity: 30,
      provisionedType: 'thick',
    });
  });

  it('floors the reserved capacity and rounds derived figures to two decimals', () => {
    expect(
      calculateCapacityFactors({
        totalCapacityGb: 1000,
        freeCapacityGb: 333.333,
        provisionedCapacityGb: 123.456,
        thinProvisioningSupport: true,
        maxOverSubscriptionRatio: 1.5,
        reservedPercentage: 7,
        thin: true,
      }),
    ).toMatchObject({ reservedCapacity: 70, totalAvailableCapacity: 1395, virtualFreeCapacity: 1271.54, freePercent: 91.15 });
  });

  it('reports zero ratios for an empty pool instead of dividing by zero', () => {
    expect(calculateCapacityFactors({ ...inputs, totalCapacityGb: 0, freeCapacityGb: 0, provisionedCapacityGb: 0, thin: false })).toMatchObject({
      freePercent: 0,
      provisionedRatio: 0,
    });
  });
});

describe('wantsThin', () => {
  it('is true unless the type says provisioning:type=thick', () => {
    expect(wantsThin({})).toBe(true);
    expect(wantsThin({ 'provisioning:type': 'thin' })).toBe(true);
    expect(wantsThin({ 'provisioning:type': 'thick' })).toBe(false);
  });
});
