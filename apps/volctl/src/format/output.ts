import Table from 'cli-table3';
import { UsageError } from '../exit-codes';

/** openstackclient's formatters (cliff): `-f table` for people, `-f json` and `-f value` for scripts. */
export const OUTPUT_FORMATS = ['table', 'json', 'value'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export interface OutputOptions {
  format: OutputFormat;
  /** `-c`: only these columns (or fields), in this order. */
  columns?: string[];
}

/**
 * A column of a list: its heading (also the key in `-f json`, as cliff names them), its value (raw in
 * `-f json` and `-f value`: bytes, seconds) and, for `-f table`, how a person reads it.
 */
export interface Column<T> {
  name: string;
  value: (row: T) => unknown;
  human?: (row: T) => string;
}

function pick<T extends { name: string }>(available: T[], wanted: string[] | undefined): T[] {
  if (!wanted?.length) return available;
  return wanted.map((name) => {
    const found = available.find((c) => c.name === name);
    if (!found) throw new UsageError(`no column '${name}'; choose from: ${available.map((c) => c.name).join(', ')}`);
    return found;
  });
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function table(head: string[], rows: string[][]): string {
  const t = new Table({ head, style: { head: [], border: [] } });
  t.push(...rows);
  return t.toString();
}

/** A list: one row per item, as `openstack volume list` prints it. */
export function renderList<T>(items: T[], columns: Column<T>[], opts: OutputOptions): string {
  const shown = pick(columns, opts.columns);
  switch (opts.format) {
    case 'json':
      return JSON.stringify(
        items.map((item) => Object.fromEntries(shown.map((c) => [c.name, c.value(item) ?? null]))),
        null,
        4,
      );
    case 'value':
      return items.map((item) => shown.map((c) => cell(c.value(item))).join(' ')).join('\n');
    case 'table':
      return table(
        shown.map((c) => c.name),
        items.map((item) => shown.map((c) => (c.human ? c.human(item) : cell(c.value(item))))),
      );
  }
}

/** One resource: a Field/Value table, an object, or its values one a line, as `openstack volume show`. */
export function renderOne(record: Record<string, unknown>, opts: OutputOptions): string {
  const fields = pick(
    Object.keys(record)
      .sort()
      .map((name) => ({ name })),
    opts.columns,
  ).map((f) => f.name);
  switch (opts.format) {
    case 'json':
      return JSON.stringify(Object.fromEntries(fields.map((f) => [f, record[f] ?? null])), null, 4);
    case 'value':
      return fields.map((f) => cell(record[f])).join('\n');
    case 'table':
      return table(
        ['Field', 'Value'],
        fields.map((f) => [f, cell(record[f])]),
      );
  }
}
