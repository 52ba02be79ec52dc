import { pyStrip } from './strings';

// float() accepts more than Number(): surrounding whitespace, '+', digit-group underscores,
// 'inf'/'nan' spellings, and rejects what Number() accepts ('', '0x1f'). Cinder reads capabilities
// and schema bounds with it, so the same inputs must pass and fail here. Only ASCII digits are
// supported; Python also takes other Unicode decimal digits.

const DIGITS = String.raw`\d+(?:_\d+)*`;
const PY_FLOAT = new RegExp(`^[+-]?(?:${DIGITS}(?:\\.(?:${DIGITS})?)?|\\.${DIGITS})(?:[eE][+-]?${DIGITS})?$`);
const PY_FLOAT_SPECIAL = /^([+-]?)(inf|infinity|nan)$/i;

/** float(text) for a str, or undefined where Python raises ValueError. */
export function parsePyFloat(text: string): number | undefined {
  const stripped = pyStrip(text);
  if (PY_FLOAT.test(stripped)) return Number(stripped.replace(/_/g, ''));
  const special = PY_FLOAT_SPECIAL.exec(stripped);
  if (!special) return undefined;
  if (special[2].toLowerCase() === 'nan') return Number.NaN;
  return special[1] === '-' ? -Infinity : Infinity;
}

/** float(value) for a JSON value, or undefined where Python raises ValueError or TypeError. */
export function pyFloat(value: unknown): number | undefined {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number') return value;
  if (typeof value === 'string') return parsePyFloat(value);
  return undefined;
}

/**
 * round(value, 2) as Python does it: on the exact binary value, ties to even. Math.round()
 * rounds halves up and works on value * 100, which is already rounded, so borderline capacities
 * would pass or fail differently from Cinder's scheduler.
 */
export function pyRound2(value: number): number {
  if (!Number.isFinite(value)) return value;
  const [integerPart, fraction] = Math.abs(value).toFixed(100).split('.');
  if (fraction === undefined) return value;
  const kept = BigInt(integerPart + fraction.slice(0, 2));
  const rest = fraction.slice(2);
  const half = '5'.padEnd(rest.length, '0');
  const roundUp = rest > half || (rest === half && kept % 2n === 1n);
  const magnitude = Number(roundUp ? kept + 1n : kept) / 100;
  return value < 0 ? -magnitude : magnitude;
}
