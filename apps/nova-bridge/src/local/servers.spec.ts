import { ComputeFault } from './compute-fault';
import { connectorFor, nextDeviceName } from './servers';

describe('nextDeviceName', () => {
  it('when a server has no volume, then the first one is vdb (vda is the root disk)', () => {
    expect(nextDeviceName([])).toBe('vdb');
  });

  it('when names were freed by a detach, then the first free one is taken again', () => {
    expect(nextDeviceName(['vdb', 'vdd'])).toBe('vdc');
  });

  it('when every name up to vdz is taken, then it is a 400', () => {
    const all = Array.from({ length: 25 }, (_, i) => `vd${String.fromCharCode(98 + i)}`);
    expect(() => nextDeviceName(all)).toThrow(ComputeFault);
  });
});

describe('connectorFor', () => {
  it('names this host and the device as the mountpoint, as Nova passes them to attachment_update', () => {
    expect(connectorFor('compute-1', 'vdc')).toMatchObject({ host: 'compute-1', mountpoint: '/dev/vdc', multipath: false });
  });
});
