import { CHECKPOINT_CADENCE, checkpointDue } from './checkpoint-cadence';

const MIB = 1024 * 1024;

describe('checkpointDue', () => {
  it('when the destination reported nothing newer than the record, then nothing is due, however old the record', () => {
    expect(checkpointDue({ now: 60_000, lastRecordAt: 0, durableBytes: 64 * MIB, recordedBytes: 64 * MIB })).toBe(false);
  });

  it('when a newer durable offset arrives within the second of the last record, then it waits for the second', () => {
    expect(checkpointDue({ now: 999, lastRecordAt: 0, durableBytes: 8 * MIB, recordedBytes: 4 * MIB })).toBe(false);
    expect(checkpointDue({ now: 1_000, lastRecordAt: 0, durableBytes: 8 * MIB, recordedBytes: 4 * MIB })).toBe(true);
  });

  it('when a fast copy gets 128 MiB ahead of the record, then it is recorded at once', () => {
    expect(checkpointDue({ now: 10, lastRecordAt: 0, durableBytes: 128 * MIB, recordedBytes: 0 })).toBe(true);
    expect(checkpointDue({ now: 10, lastRecordAt: 0, durableBytes: 128 * MIB - 1, recordedBytes: 0 })).toBe(false);
  });

  it('when a copy runs at any pace, then the record is never more than a second or 128 MiB behind what was durable', () => {
    for (const bytesPerMs of [1_000, 100_000, 1 * MIB]) {
      let recorded = 0;
      let lastRecordAt = 0;
      let worstLag = 0;
      for (let now = 0; now <= 5_000; now += 10) {
        const durable = now * bytesPerMs;
        if (checkpointDue({ now, lastRecordAt, durableBytes: durable, recordedBytes: recorded })) {
          recorded = durable;
          lastRecordAt = now;
        }
        worstLag = Math.max(worstLag, durable - recorded);
      }
      // One tick (10 ms) of copying past whichever bound comes first.
      const bound = Math.min(CHECKPOINT_CADENCE.maxLagBytes, bytesPerMs * CHECKPOINT_CADENCE.maxAgeMs) + bytesPerMs * 10;
      expect(worstLag).toBeLessThanOrEqual(bound);
    }
  });
});
