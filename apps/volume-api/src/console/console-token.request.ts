import { CodedError, ErrorCode } from '@volume/contracts';
import { MAX_ID_LENGTH, type PasswordCredentials } from '@volume/auth';

const FIELDS = ['username', 'password', 'project_name'] as const;

/** `{"username", "password", "project_name", "domain_name"?}`: one domain for the user and the project. */
export function parseConsoleTokenRequest(body: unknown): PasswordCredentials {
  const b = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  for (const name of FIELDS) {
    const v = b[name];
    if (typeof v !== 'string' || v.length === 0 || v.length > MAX_ID_LENGTH) {
      throw new CodedError(ErrorCode.BadRequest, `Invalid input received: ${name} must be a string of 1 to ${MAX_ID_LENGTH} characters`);
    }
  }
  const domain = b.domain_name ?? 'Default';
  if (typeof domain !== 'string' || domain.length === 0 || domain.length > MAX_ID_LENGTH) {
    throw new CodedError(ErrorCode.BadRequest, `Invalid input received: domain_name must be a string of 1 to ${MAX_ID_LENGTH} characters`);
  }
  return {
    username: b.username as string,
    password: b.password as string,
    projectName: b.project_name as string,
    userDomainName: domain,
    projectDomainName: domain,
  };
}
