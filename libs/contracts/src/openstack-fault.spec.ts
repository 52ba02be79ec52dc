import { faultBody } from './openstack-fault';

describe('faultBody', () => {
  it.each([
    [400, 'badRequest'],
    [403, 'forbidden'],
    [404, 'itemNotFound'],
    [409, 'conflictingRequest'],
    [413, 'overLimit'],
    [501, 'notImplemented'],
    [503, 'serviceUnavailable'],
    [500, 'computeFault'],
    [418, 'computeFault'],
  ])('names a %i fault %s, with its code and message', (status, name) => {
    expect(faultBody(status, 'why')).toEqual({ [name]: { code: status, message: 'why' } });
  });
});
