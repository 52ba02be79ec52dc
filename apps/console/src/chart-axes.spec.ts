import { binaryTicks } from './chart-axes';

const MIB = 1024 ** 2;

describe('binaryTicks', () => {
  it('when the bytes axis spans 0 to 1.1 GiB with room for 8 ticks, then the ticks are 256 MiB apart', () => {
    expect(binaryTicks(0, 1.1 * 1024 * MIB, 8).map((t) => t / MIB)).toEqual([0, 256, 512, 768, 1024]);
  });

  it('when there is room for more ticks, then the step halves to 128 MiB (384 MiB among them)', () => {
    expect(binaryTicks(0, 500 * MIB, 4).map((t) => t / MIB)).toEqual([0, 128, 256, 384]);
  });

  it('when the rate axis starts above zero, then the first tick is the first multiple of the step in range', () => {
    expect(binaryTicks(4.8 * MIB, 33.4 * MIB, 5).map((t) => t / MIB)).toEqual([8, 16, 24, 32]);
  });

  it('when the axis has no range yet (no data), then there are no ticks', () => {
    expect(binaryTicks(NaN, NaN, 5)).toEqual([]);
    expect(binaryTicks(0, 0, 5)).toEqual([0]);
  });
});
