import type { MigrationNotification } from '@volume/contracts';
import type { StreamedNotification } from './migration-event-feed.service';
import { progressSamples } from './migration-progress-samples';

const held = (n: number): StreamedNotification[] =>
  Array.from({ length: n }, (_, i) => ({
    seq: 100 + i,
    pending: n - 1 - i,
    notification: {
      event_type: i === n - 1 ? 'volume.migration.end' : 'volume.migration.progress',
      payload: { observed_at: `t${i}`, status: 'running', phase: 'copying', progress: 7, processed_bytes: i, total_bytes: n, rate_bytes_per_second: 8, source: 'persisted' },
    } as unknown as MigrationNotification,
  }));

describe("a migration's progress samples", () => {
  it('when the stream holds few notifications, then each is a sample with the figures a chart needs, in order', () => {
    expect(progressSamples(held(2))).toEqual([
      { at: 't0', event_type: 'volume.migration.progress', status: 'running', phase: 'copying', progress: 7, processed_bytes: 0, total_bytes: 2, rate_bytes_per_second: 8 },
      { at: 't1', event_type: 'volume.migration.end', status: 'running', phase: 'copying', progress: 7, processed_bytes: 1, total_bytes: 2, rate_bytes_per_second: 8 },
    ]);
  });

  it('when it holds none (aged out, or never relayed), then there are none', () => {
    expect(progressSamples([])).toEqual([]);
  });

  it('when it holds more than the maximum, then they are thinned evenly to it, the first and the last kept', () => {
    const samples = progressSamples(held(21_600), 1000);
    expect(samples).toHaveLength(1000);
    expect([samples[0].processed_bytes, samples.at(-1)?.processed_bytes, samples.at(-1)?.event_type]).toEqual([0, 21_599, 'volume.migration.end']);
    const gaps = samples.slice(1).map((s, i) => (s.processed_bytes as number) - (samples[i].processed_bytes as number));
    expect(Math.max(...gaps) - Math.min(...gaps)).toBeLessThanOrEqual(1);
  });
});
