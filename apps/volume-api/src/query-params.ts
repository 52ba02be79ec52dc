/** A parsed query string as Fastify hands it over: a repeated key arrives as an array. */
export type QueryParams = Record<string, string | string[] | undefined>;

/** The value Cinder reads for `key` (webob's `req.params[key]`, the last one when repeated). */
export function queryValue(query: QueryParams, key: string): string | undefined {
  const value = query[key];
  return Array.isArray(value) ? value[value.length - 1] : value;
}

/** Every key once, each with its last value, in the order the keys first appeared. */
export function lastValues(query: QueryParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(query)) {
    const value = queryValue(query, key);
    if (value !== undefined) out[key] = value;
  }
  return out;
}
