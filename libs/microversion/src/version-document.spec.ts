import { MAX_API_VERSION, MAX_API_VERSION_UPDATED } from './microversions';
import { buildVersionsDocument } from './version-document';

// Body of captures 01 (GET /) and 04 (GET /v3/) from a Zed Cinder at http://127.0.0.1:18776.
const CAPTURED_BODY =
  '{"versions": [{"id": "v3.0", "status": "CURRENT", "version": "3.70", "min_version": "3.0", "updated": "2022-08-31T00:00:00Z", "links": [{"rel": "describedby", "type": "text/html", "href": "https://docs.openstack.org/"}, {"rel": "self", "href": "http://127.0.0.1:18776/v3/"}], "media-types": [{"base": "application/json", "type": "application/vnd.openstack.volume+json;version=3"}]}]}';

function selfHref(baseUrl: string, publicEndpoint?: string): string {
  const links = buildVersionsDocument(baseUrl, { publicEndpoint }).versions[0].links;
  return links.find((link) => link.rel === 'self')?.href ?? '';
}

describe('buildVersionsDocument', () => {
  it('when built for the captured host, then it serializes exactly as capture 01 with our version and updated stamp', () => {
    const expected = JSON.parse(CAPTURED_BODY);
    expected.versions[0].version = MAX_API_VERSION;
    expected.versions[0].updated = MAX_API_VERSION_UPDATED;

    // Comparing serialized text also pins the key order Cinder emits.
    expect(JSON.stringify(buildVersionsDocument('http://127.0.0.1:18776'))).toBe(JSON.stringify(expected));
  });

  it('when built, then it advertises our maximum and 3.0 as the minimum', () => {
    const [entry] = buildVersionsDocument('http://127.0.0.1:18776').versions;
    expect(entry).toMatchObject({ id: 'v3.0', status: 'CURRENT', version: MAX_API_VERSION, min_version: '3.0' });
  });

  it.each([
    ['http://127.0.0.1:18776', 'http://127.0.0.1:18776/v3/'],
    ['http://127.0.0.1:18776/', 'http://127.0.0.1:18776/v3/'],
    ['http://127.0.0.1:18776/v3', 'http://127.0.0.1:18776/v3/'],
    ['http://127.0.0.1:18776/v3/', 'http://127.0.0.1:18776/v3/'],
    ['http://127.0.0.1:18776/v2/', 'http://127.0.0.1:18776/v3/'],
    ['http://proxy.example/volume', 'http://proxy.example/volume/v3/'],
    ['http://proxy.example/volume/v3/', 'http://proxy.example/volume/v3/'],
    ['http://Cinder.Example:80/', 'http://Cinder.Example:80/v3/'],
    ['http://proxy.example/apiv3', 'http://proxy.example/api/v3/'],
  ])('when the application URL is %s, then the self link is %s (as Cinder\'s _generate_href)', (baseUrl, href) => {
    expect(selfHref(baseUrl)).toBe(href);
  });

  it('when a public endpoint is configured, then it replaces the request URL in the self link', () => {
    expect(selfHref('http://10.0.0.5:8776', 'https://cinder.example.com/volume/v3/')).toBe('https://cinder.example.com/volume/v3/');
  });

  it('when the public endpoint is empty, then the request URL is used, as Python\'s "or" does', () => {
    expect(selfHref('http://10.0.0.5:8776', '')).toBe('http://10.0.0.5:8776/v3/');
  });
});
