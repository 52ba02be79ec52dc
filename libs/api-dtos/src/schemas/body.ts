import { pyStr, pyStrip } from '@volume/domain';

// Readers for bodies that already passed their schema, so the shapes below are guaranteed.

export type Body = Readonly<Record<string, unknown>>;

export function member(body: Body, key: string): Body {
  return body[key] as Body;
}

/** A nullable string; keys Cinder reads without a schema arrive as whatever str() prints. */
export function nullableString(value: unknown): string | null {
  return value === undefined || value === null ? null : pyStr(value);
}

export function stringOrNull(body: Body, key: string): string | null {
  return nullableString(body[key]);
}

/** Cinder's validate_name_and_description: string values are stripped, others left alone. */
export function stripped(value: unknown): unknown {
  return typeof value === 'string' ? pyStrip(value) : value;
}

export function stringMap(value: unknown): Record<string, string> {
  return value === null || value === undefined ? {} : { ...(value as Record<string, string>) };
}
