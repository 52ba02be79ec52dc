/** API times are UTC without a zone (Cinder's `2026-12-03T12:10:42.377000`): read as UTC whatever the local zone. */
export function parseApiTime(text: string | null | undefined): number | null {
  if (!text) return null;
  const ms = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text}Z`);
  return Number.isNaN(ms) ? null : ms;
}

/** "2026-12-03 12:10:42" (UTC), or "-" when there is no time. */
export function formatApiTime(text: string | null | undefined): string {
  const ms = parseApiTime(text);
  return ms === null ? '-' : new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
}
