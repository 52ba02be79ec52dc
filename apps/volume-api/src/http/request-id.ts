import { randomUUID } from 'node:crypto';

export function genReqId(): string {
  return `req-${randomUUID()}`;
}

/** Cinder's request id headers (oslo's RequestId middleware sets both on every answer). */
export function requestIdHeaders(id: string): Record<string, string> {
  return { 'x-openstack-request-id': id, 'x-compute-request-id': id };
}
