import { CatalogEntry } from '@volume/auth';
import { computeEndpoint } from './keystone-session';

const catalog: CatalogEntry[] = [
  { type: 'identity', endpoints: [{ interface: 'public', region_id: 'RegionOne', url: 'http://ks/identity' }] },
  {
    type: 'compute',
    endpoints: [
      { interface: 'internal', region_id: 'RegionOne', region: 'RegionOne', url: 'http://nova-1-int/v2.1' },
      { interface: 'public', region_id: 'RegionOne', region: 'RegionOne', url: 'http://nova-1/v2.1' },
      { interface: 'public', region_id: 'RegionTwo', region: 'RegionTwo', url: 'http://nova-2/v2.1' },
      { interface: 'admin', region: 'RegionTwo', url: 'http://nova-2-adm/v2.1' },
    ],
  },
];

describe('the compute endpoint from the Keystone catalog', () => {
  it.each([
    ['public', '', 'http://nova-1/v2.1'],
    ['public', 'RegionTwo', 'http://nova-2/v2.1'],
    ['internal', '', 'http://nova-1-int/v2.1'],
    ['admin', 'RegionTwo', 'http://nova-2-adm/v2.1'],
  ])('when the interface is %s and the region %j, then the endpoint is %s', (iface, region, url) => {
    expect(computeEndpoint(catalog, iface, region)).toBe(url);
  });

  it('when no compute endpoint matches, then there is none (never another service’s)', () => {
    expect(computeEndpoint(catalog, 'internal', 'RegionTwo')).toBeUndefined();
    expect(computeEndpoint([catalog[0]], 'public', '')).toBeUndefined();
  });
});
