/**
 * The `Last-Event-ID` a reconnecting client sends: the stream sequence of the last event it got.
 * Anything else (empty, not a whole number, beyond what JavaScript counts exactly, repeated with
 * different values) is no id, as the SSE specification treats an id it cannot use: the stream
 * starts afresh rather than failing the reconnect.
 */
export function parseLastEventId(raw: string | string[] | undefined): number | null {
  const values = Array.isArray(raw) ? [...new Set(raw)] : [raw];
  if (values.length !== 1 || values[0] === undefined) return null;
  const text = values[0].trim();
  if (!/^\d{1,16}$/.test(text)) return null;
  const id = Number(text);
  return Number.isSafeInteger(id) ? id : null;
}
