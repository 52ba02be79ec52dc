import { ApiVersion, InvalidApiVersionStringError, VersionLike } from './api-version';
import { MAX_API_VERSION, MIN_API_VERSION } from './microversions';

export const API_VERSION_REQUEST_HEADER = 'OpenStack-API-Version';
export const VOLUME_SERVICE = 'volume';

export interface VersionBounds {
  min: VersionLike;
  max: VersionLike;
}

export interface NegotiatedVersion {
  ok: true;
  version: ApiVersion;
}

/** A refusal, ready to render as Cinder's fault body `{"<faultKey>": {"code": status, "message": message}}`. */
export interface VersionFault {
  ok: false;
  status: 400 | 406;
  faultKey: 'badRequest' | 'computeFault';
  message: string;
  /** When set, the fault response still carries `versionHeaders(echoVersion)`. */
  echoVersion?: string;
}

export type NegotiationResult = NegotiatedVersion | VersionFault;

// webob's generic text: Cinder lets this case escape its own handlers.
const MALFORMED_MESSAGE = 'The server could not comply with the request since it is either malformed or otherwise incorrect.';

// Python's str.split() separators; JS \s lacks \x1c-\x1f and \x85 (a Latin-1 header byte) and adds \ufeff.
const PYTHON_WHITESPACE = /[\t\n\v\f\r \x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;

/**
 * Resolves the request's microversion from the `OpenStack-API-Version` header value the way
 * Cinder's `Request.set_api_version_request` and `Resource.__call__` do, including their quirks:
 * the service is matched by substring. One quirk we do not copy: Cinder answers an element that is not
 * exactly two tokens with a 500 (an unpacking ValueError); input is never a server error here, so it is a 400.
 */
export function negotiateVersion(
  headerValue: string | undefined,
  bounds: VersionBounds = { min: MIN_API_VERSION, max: MAX_API_VERSION },
): NegotiationResult {
  if (headerValue === undefined) return { ok: true, version: ApiVersion.from(bounds.min) };

  const element = headerValue.split(',').find((candidate) => candidate.includes(VOLUME_SERVICE));
  if (element === undefined) return { ok: false, status: 400, faultKey: 'badRequest', message: MALFORMED_MESSAGE };

  const tokens = element.split(PYTHON_WHITESPACE).filter((token) => token !== '');
  if (tokens.length !== 2) return { ok: false, status: 400, faultKey: 'badRequest', message: MALFORMED_MESSAGE };

  const requested = tokens[1];
  const max = ApiVersion.from(bounds.max);
  if (requested === 'latest') return { ok: true, version: max };

  let version: ApiVersion;
  try {
    version = ApiVersion.parse(requested);
  } catch (error) {
    if (error instanceof InvalidApiVersionStringError) {
      return { ok: false, status: 400, faultKey: 'badRequest', message: error.message };
    }
    throw error;
  }

  const min = ApiVersion.from(bounds.min);
  if (version.matches(min, max)) return { ok: true, version };

  const fault: VersionFault = {
    ok: false,
    status: 406,
    faultKey: 'computeFault',
    message: `Version ${version} is not supported by the API. Minimum is ${min} and maximum is ${max}.`,
  };
  return isLegacyVersion(version) ? fault : { ...fault, echoVersion: version.toString() };
}

/** The two headers Cinder puts on every response, faults included, once a version is known. */
export function versionHeaders(version: VersionLike): Record<string, string> {
  return { [API_VERSION_REQUEST_HEADER]: `${VOLUME_SERVICE} ${version}`, Vary: API_VERSION_REQUEST_HEADER };
}

// Cinder's _is_legacy_endpoint: a plain substring test, so "volume 2.0" (and "12.0") get a 406 without headers.
function isLegacyVersion(version: ApiVersion): boolean {
  const text = version.toString();
  return text.includes('1.0') || text.includes('2.0');
}
