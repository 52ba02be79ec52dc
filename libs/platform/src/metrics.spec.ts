import { MetricsRegistry, processMetrics, renderMetrics } from './metrics';

describe('renderMetrics', () => {
  it('writes HELP, TYPE and one line per sample, labels quoted in order', () => {
    const text = renderMetrics([
      {
        name: 'volume_migration_processed_bytes',
        help: 'Bytes processed',
        type: 'gauge',
        samples: [
          { labels: { volume_id: 'v1', destination: 'host-b@file#pool1' }, value: 1048576 },
          { labels: { volume_id: 'v2', destination: 'host-a@file#pool2' }, value: 0.5 },
        ],
      },
      { name: 'scrapes_total', help: 'Scrapes', type: 'counter', samples: [{ value: 3 }] },
    ]);
    expect(text).toBe(
      [
        '# HELP volume_migration_processed_bytes Bytes processed',
        '# TYPE volume_migration_processed_bytes gauge',
        'volume_migration_processed_bytes{volume_id="v1",destination="host-b@file#pool1"} 1048576',
        'volume_migration_processed_bytes{volume_id="v2",destination="host-a@file#pool2"} 0.5',
        '# HELP scrapes_total Scrapes',
        '# TYPE scrapes_total counter',
        'scrapes_total 3',
        '',
      ].join('\n'),
    );
  });

  it('escapes label values and help text as the format asks', () => {
    const text = renderMetrics([{ name: 'm', help: 'a \\ b\nc', type: 'gauge', samples: [{ labels: { l: 'x"y\\z\nw' }, value: 1 }] }]);
    expect(text).toContain('# HELP m a \\\\ b\\nc\n');
    expect(text).toContain('m{l="x\\"y\\\\z\\nw"} 1\n');
  });

  it('leaves out samples with no value, and writes non-finite values as Prometheus does', () => {
    const text = renderMetrics([
      {
        name: 'eta_seconds',
        help: 'ETA',
        type: 'gauge',
        samples: [{ labels: { v: 'a' }, value: null }, { labels: { v: 'b' }, value: Infinity }, { labels: { v: 'c' }, value: NaN }],
      },
    ]);
    expect(text).not.toContain('v="a"');
    expect(text).toContain('eta_seconds{v="b"} +Inf\n');
    expect(text).toContain('eta_seconds{v="c"} NaN\n');
  });

  it('refuses names the format does not allow and a family reported twice', () => {
    expect(() => renderMetrics([{ name: 'bad-name', help: '', type: 'gauge', samples: [] }])).toThrow(/not valid/);
    expect(() => renderMetrics([{ name: 'm', help: '', type: 'gauge', samples: [{ labels: { 'bad-label': 'x' }, value: 1 }] }])).toThrow(/not valid/);
    const twice = { name: 'm', help: '', type: 'gauge' as const, samples: [] };
    expect(() => renderMetrics([twice, twice])).toThrow(/twice/);
  });
});

describe('MetricsRegistry', () => {
  it('asks every collector on every render', () => {
    const registry = new MetricsRegistry();
    let n = 0;
    registry.register(() => [{ name: 'a', help: 'A', type: 'gauge', samples: [{ value: ++n }] }]);
    registry.register(() => [{ name: 'b', help: 'B', type: 'gauge', samples: [{ value: 7 }] }]);
    expect(registry.render()).toContain('a 1\n');
    const second = registry.render();
    expect(second).toContain('a 2\n');
    expect(second).toContain('b 7\n');
  });

  it('reports the process: app and host, CPU, memory and uptime', () => {
    const started = Date.now() - 5_000;
    const families = processMetrics({ app: 'volume-worker', host: 'host-a' }, started)();
    const byName = Object.fromEntries(families.map((f) => [f.name, f]));
    expect(byName.volume_app_info.samples).toEqual([{ labels: { app: 'volume-worker', host: 'host-a' }, value: 1 }]);
    expect(byName.process_cpu_seconds_total.samples[0].value).toBeGreaterThan(0);
    expect(byName.process_resident_memory_bytes.samples[0].value).toBeGreaterThan(1024 * 1024);
    expect(byName.process_uptime_seconds.samples[0].value).toBeGreaterThanOrEqual(5);
  });
});
