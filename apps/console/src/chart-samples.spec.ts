import type { Migration } from './api-types';
import { withSample } from './chart-samples';

const at = (second: number, bytes: number): Migration =>
  ({ started_at: '2026-12-03T12:00:00', observed_at: `2026-12-03T12:00:${String(second).padStart(2, '0')}`, processed_bytes: bytes, rate_bytes_per_second: 10 }) as Migration;
const T0 = Date.UTC(2026, 11, 3, 12, 0, 0) / 1000;

describe("the points of a migration's chart", () => {
  it('when observations come out of order (a live read, then its past progress), then the points are in time order, one per instant', () => {
    const points = [at(9, 90), at(3, 30), at(6, 60), at(6, 60), at(9, 90)].reduce(withSample, []);
    expect(points.map((p) => [p.t - T0, p.bytes])).toEqual([
      [0, 0],
      [3, 30],
      [6, 60],
      [9, 90],
    ]);
  });

  it('when the first observation is the start itself, or has no time, then no anchor (and no point) is made up', () => {
    expect([at(0, 0)].reduce(withSample, []).map((p) => p.t - T0)).toEqual([0]);
    expect(withSample([], { ...at(3, 30), observed_at: null })).toEqual([]);
  });
});
