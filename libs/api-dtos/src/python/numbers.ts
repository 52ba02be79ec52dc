import { pyStrip } from '@volume/domain';

// int() accepts more than Number(): surrounding whitespace, '+', digit-group underscores; it also
// rejects what Number() accepts ('', '0x1f', '1e3'). Cinder parses query strings and request
// fields with it, so the same inputs must pass and fail here. Only ASCII digits are supported;
// Python also takes other Unicode decimal digits.

const PY_INT = /^[+-]?\d+(?:_\d+)*$/;

/** int(text) for a str, or undefined where Python raises ValueError. */
export function parsePyInt(text: string): number | undefined {
  const stripped = pyStrip(text);
  return PY_INT.test(stripped) ? Number(stripped.replace(/_/g, '')) : undefined;
}

/** int(value) for a JSON value, or undefined where Python raises ValueError or TypeError. */
export function pyInt(value: unknown): number | undefined {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number') return Number.isFinite(value) ? Math.trunc(value) : undefined;
  if (typeof value === 'string') return parsePyInt(value);
  return undefined;
}
