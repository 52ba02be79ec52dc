import { MAX_API_VERSION, MAX_API_VERSION_UPDATED, MIN_API_VERSION } from './microversions';

export interface VersionLink {
  rel: string;
  type?: string;
  href: string;
}

export interface VersionMediaType {
  base: string;
  type: string;
}

export interface VersionEntry {
  id: string;
  status: string;
  version: string;
  min_version: string;
  updated: string;
  links: VersionLink[];
  'media-types': VersionMediaType[];
}

export interface VersionsDocument {
  versions: VersionEntry[];
}

export interface VersionsDocumentOptions {
  /** Cinder's `public_endpoint` option: when set, it replaces the request's application URL. */
  publicEndpoint?: string;
}

const VERSION_ID = 'v3.0';

/**
 * The body of `GET /` (300) and `GET /v3/` (200), which Cinder serves identically. Keys are built
 * in Cinder's order so the serialized JSON matches a real server byte for byte.
 */
export function buildVersionsDocument(baseUrl: string, opts: VersionsDocumentOptions = {}): VersionsDocument {
  return {
    versions: [
      {
        id: VERSION_ID,
        status: 'CURRENT',
        version: MAX_API_VERSION,
        min_version: MIN_API_VERSION,
        updated: MAX_API_VERSION_UPDATED,
        links: [
          { rel: 'describedby', type: 'text/html', href: 'https://docs.openstack.org/' },
          { rel: 'self', href: versionHref(opts.publicEndpoint || baseUrl) },
        ],
        'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.volume+json;version=3' }],
      },
    ],
  };
}

// Cinder's _generate_href. Plain string joins rather than URL resolution keep the host exactly as
// given (URL would lowercase it and drop a default port, urljoin does not).
function versionHref(base: string): string {
  const withoutVersion = base.replace(/v[1-9]+\/?$/, '');
  const versionSegment = VERSION_ID.split('.')[0];
  return `${withoutVersion.replace(/\/+$/, '')}/${versionSegment}/`;
}
