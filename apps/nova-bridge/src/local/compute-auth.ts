import type { Authenticator, Caller, ServiceTokenSource } from '@volume/auth';
import { ErrorCode, isCodedError } from '@volume/contracts';
import { CallerIdentity, callerIdentity } from './api-identity';
import { ComputeFault } from './compute-fault';

type Headers = Record<string, string | string[] | undefined>;

/** Who calls the compute API, and how its calls to volume-api act for it. */
export interface ComputeCaller extends Caller {
  readonly identity: CallerIdentity;
}

/**
 * Authenticates a compute API request as volume-api authenticates its own (the same Authenticator
 * and strategies). Refusals keep Nova's fault shape: 401 without a valid project-scoped token, 503
 * when the identity service cannot be asked. `serviceTokens` (keystone) are the bridge's own, which
 * the caller's attachment calls carry as X-Service-Token.
 */
export async function authenticateCaller(auth: Authenticator, headers: Headers, serviceTokens?: ServiceTokenSource): Promise<ComputeCaller> {
  let caller: Caller;
  try {
    caller = await auth.authenticate(headers);
  } catch (err) {
    if (isCodedError(err) && err.code === ErrorCode.Unauthorized) throw new ComputeFault(401, err.message);
    if (isCodedError(err) && (err.code === ErrorCode.Unavailable || err.code === ErrorCode.Timeout)) throw new ComputeFault(503, err.message);
    throw err;
  }
  // Servers belong to a project: an unscoped token owns none.
  if (!caller.projectId) throw new ComputeFault(401, 'The request you have made requires a project-scoped token.');
  return { ...caller, identity: callerIdentity(auth.strategy, headers, caller, serviceTokens) };
}
