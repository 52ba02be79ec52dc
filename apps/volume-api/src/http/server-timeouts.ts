import { ApiConfig } from '../config';

type TimeoutConfig = Pick<ApiConfig, 'HTTP_HEADERS_TIMEOUT_MS' | 'HTTP_REQUEST_TIMEOUT_MS' | 'HTTP_KEEP_ALIVE_TIMEOUT_MS' | 'HTTP_CONNECTION_TIMEOUT_MS'>;

/** The Fastify (and, under `http`, Node server) options that bound how long a client may hold a connection. */
export interface ServerTimeouts {
  connectionTimeout: number;
  keepAliveTimeout: number;
  requestTimeout: number;
  http: { headersTimeout: number; connectionsCheckingInterval: number };
}

/**
 * Fastify turns Node's request timeout off by default: a client that sent its headers and then
 * trickled or stalled its body held a socket for good. Node answers an expired request through
 * `clientError` (our 408 fault), but only looks every `connectionsCheckingInterval` (30 s unless
 * told): a quarter of the headers timeout keeps the answer within 25 % of the bound, without a
 * timer per connection.
 */
export function serverTimeouts(config: TimeoutConfig): ServerTimeouts {
  return {
    connectionTimeout: config.HTTP_CONNECTION_TIMEOUT_MS,
    keepAliveTimeout: config.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    requestTimeout: config.HTTP_REQUEST_TIMEOUT_MS,
    http: {
      headersTimeout: config.HTTP_HEADERS_TIMEOUT_MS,
      connectionsCheckingInterval: Math.min(30_000, Math.max(50, Math.floor(config.HTTP_HEADERS_TIMEOUT_MS / 4))),
    },
  };
}
