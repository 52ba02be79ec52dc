import { readFileSync } from 'node:fs';
import { ConnectionOptions, credsAuthenticator } from 'nats';

/**
 * How an app proves itself to NATS and checks NATS's certificate (`NATS_USER`/`NATS_PASSWORD`,
 * `NATS_CREDS`, `NATS_TLS_CA` in `commonConfigSchema`), so that a production broker can be closed to
 * strangers: every migration's data-stream secret and every volume's state cross it.
 */
export interface NatsAuthConfig {
  NATS_USER?: string;
  NATS_PASSWORD?: string;
  NATS_CREDS?: string;
  NATS_TLS_CA?: string;
}

function unreadable(path: string): string | undefined {
  try {
    readFileSync(path);
    return undefined;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
  }
}

/** What is wrong with a NATS auth configuration, one line per problem (empty: nothing). */
export function natsAuthProblems(c: NatsAuthConfig): string[] {
  const problems: string[] = [];
  if (c.NATS_USER && !c.NATS_PASSWORD) problems.push('NATS_USER is set without NATS_PASSWORD');
  if (c.NATS_PASSWORD && !c.NATS_USER) problems.push('NATS_PASSWORD is set without NATS_USER');
  if (c.NATS_CREDS && (c.NATS_USER || c.NATS_PASSWORD)) problems.push('NATS_CREDS and NATS_USER/NATS_PASSWORD are exclusive: set one');
  for (const name of ['NATS_CREDS', 'NATS_TLS_CA'] as const) {
    const path = c[name];
    const why = path ? unreadable(path) : undefined;
    if (why) problems.push(`${name}=${JSON.stringify(path)} cannot be read (${why})`);
  }
  return problems;
}

/** The nats.js options that carry the credentials and the TLS trust of `c` (none when unset). */
export function natsConnectOptions(c: NatsAuthConfig): Partial<ConnectionOptions> {
  const opts: Partial<ConnectionOptions> = {};
  if (c.NATS_USER) {
    opts.user = c.NATS_USER;
    opts.pass = c.NATS_PASSWORD;
  }
  if (c.NATS_CREDS) {
    const file = c.NATS_CREDS;
    // Read at each (re)connect, so that a rotated creds file is picked up without a restart.
    opts.authenticator = credsAuthenticator(() => new Uint8Array(readFileSync(file)));
  }
  if (c.NATS_TLS_CA) opts.tls = { caFile: c.NATS_TLS_CA };
  return opts;
}
