// Python's str.strip() and str.split() differ from String.prototype.trim() and split(/\s+/):
// Python's whitespace includes \x1c-\x1f and \x85 but not \ufeff, and values must strip and split
// here as they do in Cinder.

const PY_WHITESPACE = '\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const LEADING = new RegExp(`^[${PY_WHITESPACE}]+`);
const TRAILING = new RegExp(`[${PY_WHITESPACE}]+$`);
const RUN = new RegExp(`[${PY_WHITESPACE}]+`);

export function pyStrip(text: string): string {
  return text.replace(LEADING, '').replace(TRAILING, '');
}

/** str.split() without arguments: on runs of whitespace, dropping empty words. */
export function pySplit(text: string): string[] {
  return text.split(RUN).filter((word) => word !== '');
}

/** Python truthiness of a JSON value: None, False, 0, '', [] and {} are false. */
export function pyTruthy(value: unknown): boolean {
  if (value === null || value === undefined || value === false || value === 0 || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}
