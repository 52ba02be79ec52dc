/** What a script can test after `volctl ...` (issue 15 §1). */
export const ExitCode = {
  Ok: 0,
  /** The migration failed or was cancelled; also any other refusal by the API or an unreachable one. */
  Failed: 1,
  Usage: 2,
  Auth: 3,
  NotFound: 4,
  /** Ctrl-C while watching (128 + SIGINT, as shells report it): the migration itself goes on. */
  Interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An error the CLI reports as one line on stderr (never a stack trace) and exits with its code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export class UsageError extends CliError {
  constructor(message: string) {
    super(message, ExitCode.Usage);
  }
}

export class AuthError extends CliError {
  constructor(message: string) {
    super(message, ExitCode.Auth);
  }
}

export class NotFoundError extends CliError {
  constructor(message: string) {
    super(message, ExitCode.NotFound);
  }
}

/**
 * A fault the API answered: Cinder's body is `{"<name>": {"code", "message"}}`, and the message is
 * what the operator reads. 401 and 403 are the credentials' fault, 404 a missing thing.
 */
export class ApiFault extends CliError {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message, status === 401 || status === 403 ? ExitCode.Auth : status === 404 ? ExitCode.NotFound : ExitCode.Failed);
    this.name = 'ApiFault';
  }
}

/** The server predates what a command needs (an older microversion, or a route it does not have). */
export class UnsupportedError extends CliError {
  constructor(what: string, version: string, detail: string) {
    super(`this server does not support ${what} (needs microversion ${version}): ${detail}`, ExitCode.Failed);
  }
}

/** The exit code and the one line to print for anything a command threw. */
export function failureOf(err: unknown): { exitCode: ExitCode; message: string } {
  if (err instanceof CliError) return { exitCode: err.exitCode, message: err.message };
  return { exitCode: ExitCode.Failed, message: `unexpected error: ${(err as Error)?.message ?? String(err)}` };
}
