import { estimateMigration, EstimateInputs, RateHistory } from './migration-estimate';

const NONE: RateHistory = { migrations: 0, readBytes: 0, seconds: 0 };
const MIB = 1024 * 1024;
const inputs = (over: Partial<EstimateInputs> = {}): EstimateInputs => ({
  bytesToCopy: 64 * MIB,
  totalBytes: 1024 * MIB,
  source: 'host-a@file#pool1',
  destination: 'host-b@file#pool1',
  betweenHosts: NONE,
  toDestination: NONE,
  hostLimitBytesPerSecond: null,
  bandwidthBytesPerSecond: null,
  ...over,
});

describe('the pre-flight estimate: which basis it rests on', () => {
  it('when copies between the same hosts are recorded, then their summed bytes over summed seconds is the rate', () => {
    const e = estimateMigration(
      inputs({ betweenHosts: { migrations: 3, readBytes: 96 * MIB, seconds: 12 }, toDestination: { migrations: 9, readBytes: 900 * MIB, seconds: 9 } }),
    );
    expect(e).toEqual({
      bytesToCopy: 64 * MIB,
      totalBytes: 1024 * MIB,
      expectedRateBytesPerSecond: 8 * MIB,
      expectedSeconds: 8,
      basis: { migrations: 3, between: ['host-a@file#pool1', 'host-b@file#pool1'] },
      confidence: 'history',
      limitedBy: null,
    });
  });

  it('when none ran between these hosts, then copies to the destination from anywhere are the basis', () => {
    const e = estimateMigration(inputs({ toDestination: { migrations: 2, readBytes: 32 * MIB, seconds: 8 }, hostLimitBytesPerSecond: 100 * MIB }));
    expect(e).toMatchObject({ expectedRateBytesPerSecond: 4 * MIB, expectedSeconds: 16, basis: { migrations: 2 }, confidence: 'history' });
  });

  it('when the only records read nothing (driver moves, empty volumes), then they are no basis', () => {
    const e = estimateMigration(inputs({ betweenHosts: { migrations: 4, readBytes: 0, seconds: 3 }, hostLimitBytesPerSecond: 16 * MIB }));
    expect(e).toMatchObject({ expectedRateBytesPerSecond: 16 * MIB, expectedSeconds: 4, basis: { migrations: 0 }, confidence: 'host-default', limitedBy: 'host' });
  });

  it('when there is no history and no host limit, then there is no rate and no time, and it says so', () => {
    const e = estimateMigration(inputs({ hostLimitBytesPerSecond: 0 }));
    expect(e).toMatchObject({ expectedRateBytesPerSecond: null, expectedSeconds: null, basis: { migrations: 0 }, confidence: 'none', limitedBy: null });
  });

  it('when the time is not a whole number of seconds, then it is rounded to the nearest, not up', () => {
    expect(estimateMigration(inputs({ bytesToCopy: 9 * MIB, hostLimitBytesPerSecond: 4 * MIB })).expectedSeconds).toBe(2);
    expect(estimateMigration(inputs({ bytesToCopy: 11 * MIB, hostLimitBytesPerSecond: 4 * MIB })).expectedSeconds).toBe(3);
  });

  it('when the volume holds no data, then it takes no time at any rate', () => {
    const e = estimateMigration(inputs({ bytesToCopy: 0, hostLimitBytesPerSecond: MIB }));
    expect(e).toMatchObject({ expectedSeconds: 0, confidence: 'host-default' });
  });
});

describe('the pre-flight estimate: the ceilings a copy runs under', () => {
  const between = { migrations: 3, readBytes: 96 * MIB, seconds: 4 }; // 24 MiB/s

  it('when a bandwidth below the hosts\' pace is asked for, then the copy is expected at the bandwidth, and it says so', () => {
    const e = estimateMigration(inputs({ betweenHosts: between, bandwidthBytesPerSecond: 8 * MIB }));
    expect(e).toMatchObject({ expectedRateBytesPerSecond: 8 * MIB, expectedSeconds: 8, basis: { migrations: 3 }, confidence: 'history', limitedBy: 'bandwidth' });
  });

  it('when the bandwidth asked for is above the hosts\' pace, then the pace is the rate and nothing limits it', () => {
    const e = estimateMigration(inputs({ betweenHosts: between, bandwidthBytesPerSecond: 100 * MIB, hostLimitBytesPerSecond: 200 * MIB }));
    expect(e).toMatchObject({ expectedRateBytesPerSecond: 24 * MIB, confidence: 'history', limitedBy: null });
  });

  it("when the host's limit is below the recorded pace, then it is the rate (a copy cannot outrun it), and it says so", () => {
    const e = estimateMigration(inputs({ betweenHosts: between, hostLimitBytesPerSecond: 16 * MIB, bandwidthBytesPerSecond: 20 * MIB }));
    expect(e).toMatchObject({ expectedRateBytesPerSecond: 16 * MIB, expectedSeconds: 4, confidence: 'history', limitedBy: 'host' });
  });

  it("when the bandwidth is below the host's limit and there is no history, then the bandwidth is the rate on the host-default basis", () => {
    const e = estimateMigration(inputs({ hostLimitBytesPerSecond: 32 * MIB, bandwidthBytesPerSecond: 4 * MIB }));
    expect(e).toMatchObject({ expectedRateBytesPerSecond: 4 * MIB, expectedSeconds: 16, confidence: 'host-default', limitedBy: 'bandwidth' });
  });

  it('when nothing is known of the hosts but a bandwidth is asked for, then the copy is expected at most at it, with no confidence', () => {
    const e = estimateMigration(inputs({ bandwidthBytesPerSecond: 16 * MIB }));
    expect(e).toMatchObject({ expectedRateBytesPerSecond: 16 * MIB, expectedSeconds: 4, basis: { migrations: 0 }, confidence: 'none', limitedBy: 'bandwidth' });
  });

  it('when the bandwidth equals the recorded pace, then the pace is the rate and nothing is said to limit it', () => {
    expect(estimateMigration(inputs({ betweenHosts: between, bandwidthBytesPerSecond: 24 * MIB })).limitedBy).toBeNull();
  });
});
