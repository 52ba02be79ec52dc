/** Socket errors of a server that is down, restarting, or out of reach. */
const CONNECTION_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);

/**
 * SQLSTATEs of a server that ends or refuses the connection: class 08 (connection exception),
 * 57P01 admin_shutdown (a fast stop ends every session), 57P02 crash_shutdown, 57P03 cannot_connect_now
 * (starting up or shutting down).
 */
function isConnectionSqlState(code: string): boolean {
  return code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03';
}

/**
 * node-postgres's own words when a connection is lost or cannot be had: a socket that closed under
 * a client ("Connection terminated unexpectedly"), a connect over the pool's connection timeout
 * ("Connection terminated due to connection timeout"), no client free within it ("timeout exceeded
 * when trying to connect"), and a client that already lost its connection.
 */
const DRIVER_MESSAGES = [
  /^Connection terminated/,
  /^timeout exceeded when trying to connect$/,
  /^Client has encountered a connection error and is not queryable$/,
  /^timeout expired$/,
];

/**
 * Whether an error means the database cannot be reached now (as opposed to refusing a statement):
 * the one classification both the API's 503 and the workers' retries of their writes go by.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  return unavailableWithin(err, 0);
}

/**
 * The search through wrapped errors, its depth bounded. Not the public signature: a caller passing
 * the function as a callback (`retryable: isDatabaseUnavailable`, `errors.some(...)`) would hand
 * its own second argument (an attempt number, an index) in as the depth and cut the search short.
 */
function unavailableWithin(err: unknown, depth: number): boolean {
  // Duck-typed, not `instanceof Error`: errors made inside Node (a socket's) come from another realm under some runners.
  if (typeof err !== 'object' || err === null || depth > 4) return false;
  const { code, message, cause, errors, driverError } = err as {
    code?: unknown;
    message?: unknown;
    cause?: unknown;
    errors?: unknown;
    driverError?: unknown;
  };
  if (typeof code === 'string' && (CONNECTION_ERRNOS.has(code) || isConnectionSqlState(code))) return true;
  if (typeof message === 'string' && DRIVER_MESSAGES.some((m) => m.test(message))) return true;
  // Node tries every address of a host name and reports each failure; TypeORM wraps the driver's error.
  const inner = [cause, driverError, ...(Array.isArray(errors) ? errors : [])].filter((e) => e !== undefined && e !== err);
  return inner.some((e) => unavailableWithin(e, depth + 1));
}
