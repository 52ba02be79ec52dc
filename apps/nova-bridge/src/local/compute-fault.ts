/** Nova's fault body key per status (nova/api/openstack/wsgi.py Fault._fault_names). */
const FAULT_NAMES: Record<number, string> = {
  400: 'badRequest',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'itemNotFound',
  405: 'badMethod',
  409: 'conflictingRequest',
  413: 'overLimit',
  415: 'badMediaType',
  503: 'serviceUnavailable',
};

/** An error of the local compute API, answered as Nova's `{"<name>": {"code", "message"}}`. */
export class ComputeFault extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ComputeFault';
  }

  get body(): Record<string, { code: number; message: string }> {
    return { [FAULT_NAMES[this.status] ?? 'computeFault']: { code: this.status, message: this.message } };
  }

  static badRequest(message: string): ComputeFault {
    return new ComputeFault(400, message);
  }

  static notFound(message: string): ComputeFault {
    return new ComputeFault(404, message);
  }

  static conflict(message: string): ComputeFault {
    return new ComputeFault(409, message);
  }
}
