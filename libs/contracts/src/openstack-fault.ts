/**
 * The fault body key per HTTP status that OpenStack's APIs share (`wsgi.Fault._fault_names` in
 * Cinder and Nova alike); any other status is `computeFault`.
 */
const FAULT_NAMES: Record<number, string> = {
  400: 'badRequest',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'itemNotFound',
  405: 'badMethod',
  409: 'conflictingRequest',
  413: 'overLimit',
  415: 'badMediaType',
  501: 'notImplemented',
  503: 'serviceUnavailable',
};

/** `{"<faultName>": {"code": status, "message": message}}`, as Cinder and Nova answer an error. */
export function faultBody(status: number, message: string): Record<string, { code: number; message: string }> {
  return { [FAULT_NAMES[status] ?? 'computeFault']: { code: status, message } };
}
