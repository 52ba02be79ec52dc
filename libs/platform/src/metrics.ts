import { Injectable } from '@nestjs/common';

/**
 * Prometheus metrics, served as text (exposition format 0.0.4) on the health server's `/metrics`.
 * No client library: the apps only report gauges and counters they already hold, computed when
 * scraped, so a registry of collector functions and a renderer is all it takes.
 */

export type MetricLabels = Record<string, string>;

export interface MetricSample {
  labels?: MetricLabels;
  /** A sample whose value is null (nothing to report yet, e.g. no rate measured) is left out. */
  value: number | null;
}

export interface MetricFamily {
  /** `[a-zA-Z_:][a-zA-Z0-9_:]*`; counters end in `_total`. */
  name: string;
  help: string;
  type: 'gauge' | 'counter';
  samples: MetricSample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** The text a Prometheus server scrapes: HELP and TYPE, then one line per sample. */
export function renderMetrics(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  const seen = new Set<string>();
  for (const family of families) {
    if (!NAME.test(family.name)) throw new Error(`metric name ${JSON.stringify(family.name)} is not valid`);
    if (seen.has(family.name)) throw new Error(`metric ${family.name} is reported twice`);
    seen.add(family.name);
    lines.push(`# HELP ${family.name} ${family.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`);
    lines.push(`# TYPE ${family.name} ${family.type}`);
    for (const sample of family.samples) {
      if (sample.value === null) continue;
      lines.push(`${family.name}${renderLabels(sample.labels)} ${renderValue(sample.value)}`);
    }
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}

function renderLabels(labels: MetricLabels | undefined): string {
  const entries = Object.entries(labels ?? {});
  if (entries.length === 0) return '';
  const parts = entries.map(([name, value]) => {
    if (!LABEL_NAME.test(name) || name.startsWith('__')) throw new Error(`label name ${JSON.stringify(name)} is not valid`);
    return `${name}="${value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}"`;
  });
  return `{${parts.join(',')}}`;
}

function renderValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

/** Where an app's parts register what they report; read on every scrape. */
@Injectable()
export class MetricsRegistry {
  private readonly collectors: (() => MetricFamily[])[] = [];

  /** `collect` runs on every scrape: it must be cheap and must not wait for I/O. */
  register(collect: () => MetricFamily[]): void {
    this.collectors.push(collect);
  }

  collect(): MetricFamily[] {
    return this.collectors.flatMap((collect) => collect());
  }

  render(): string {
    return renderMetrics(this.collect());
  }
}

/** What every app reports about its process: identity, memory, CPU and uptime. */
export function processMetrics(identity: { app: string; host: string }, startedAt = Date.now()): () => MetricFamily[] {
  return () => {
    const cpu = process.cpuUsage();
    const memory = process.memoryUsage();
    return [
      { name: 'volume_app_info', help: 'This process: app and service host (always 1)', type: 'gauge', samples: [{ labels: { app: identity.app, host: identity.host }, value: 1 }] },
      { name: 'process_cpu_seconds_total', help: 'User and system CPU time of this process, in seconds', type: 'counter', samples: [{ value: (cpu.user + cpu.system) / 1e6 }] },
      { name: 'process_resident_memory_bytes', help: 'Resident memory of this process, in bytes', type: 'gauge', samples: [{ value: memory.rss }] },
      { name: 'process_uptime_seconds', help: 'Seconds since this process started its app', type: 'gauge', samples: [{ value: Math.round((Date.now() - startedAt) / 1000) }] },
    ];
  };
}
