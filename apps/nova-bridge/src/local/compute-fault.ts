import { faultBody } from '@volume/contracts';

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
    return faultBody(this.status, this.message);
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
