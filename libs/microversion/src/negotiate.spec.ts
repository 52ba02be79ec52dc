import { ApiVersion } from './api-version';
import { MAX_API_VERSION, MIN_API_VERSION } from './microversions';
import { negotiateVersion, NegotiationResult, versionHeaders } from './negotiate';

// The golden captures were recorded from a Zed Cinder, whose range is 3.0-3.70.
const ZED = { min: '3.0', max: '3.70' };
const MALFORMED = 'The server could not comply with the request since it is either malformed or otherwise incorrect.';
const NEXT_AFTER_MAX = `3.${ApiVersion.parse(MAX_API_VERSION).minor + 1}`;

/** What the HTTP edge sends for a result: the version headers and, for a fault, status and JSON body. */
function render(result: NegotiationResult) {
  if (result.ok) return { headers: versionHeaders(result.version) };
  return {
    status: result.status,
    headers: result.echoVersion === undefined ? {} : versionHeaders(result.echoVersion),
    body: JSON.stringify({ [result.faultKey]: { code: result.status, message: result.message } }),
  };
}

function fault(result: NegotiationResult) {
  if (result.ok) throw new Error(`expected a fault, got version ${result.version}`);
  return result;
}

function accepted(result: NegotiationResult): string {
  if (!result.ok) throw new Error(`expected a version, got ${result.status} ${result.message}`);
  return result.version.toString();
}

describe('negotiateVersion against the golden Cinder captures (Zed range 3.0-3.70)', () => {
  it.each([
    { capture: '06', header: 'volume 3.70', version: '3.70' },
    { capture: '07', header: 'volume 3.0', version: '3.0' },
    { capture: '08', header: undefined, version: '3.0' },
    { capture: '09', header: 'volume latest', version: '3.70' },
  ])('when capture $capture sends $header, then the response says volume $version', ({ header, version }) => {
    expect(render(negotiateVersion(header, ZED))).toEqual({
      headers: { 'OpenStack-API-Version': `volume ${version}`, Vary: 'OpenStack-API-Version' },
    });
  });

  it.each([
    {
      capture: '10',
      header: 'volume 3.71',
      status: 406,
      headers: { 'OpenStack-API-Version': 'volume 3.71', Vary: 'OpenStack-API-Version' },
      body: '{"computeFault": {"code": 406, "message": "Version 3.71 is not supported by the API. Minimum is 3.0 and maximum is 3.70."}}',
    },
    {
      capture: '11',
      header: 'volume 4.0',
      status: 406,
      headers: { 'OpenStack-API-Version': 'volume 4.0', Vary: 'OpenStack-API-Version' },
      body: '{"computeFault": {"code": 406, "message": "Version 4.0 is not supported by the API. Minimum is 3.0 and maximum is 3.70."}}',
    },
    {
      capture: '12',
      header: 'volume foo',
      status: 400,
      headers: {},
      body: '{"badRequest": {"code": 400, "message": "API Version String foo is of invalid format. Must be of format MajorNum.MinorNum."}}',
    },
    {
      capture: '13',
      header: 'garbage',
      status: 400,
      headers: {},
      body: '{"badRequest": {"code": 400, "message": "The server could not comply with the request since it is either malformed or otherwise incorrect."}}',
    },
    {
      capture: '14',
      header: 'volume 2.0',
      status: 406,
      headers: {},
      body: '{"computeFault": {"code": 406, "message": "Version 2.0 is not supported by the API. Minimum is 3.0 and maximum is 3.70."}}',
    },
    {
      capture: '15',
      header: 'compute 3.70',
      status: 400,
      headers: {},
      body: '{"badRequest": {"code": 400, "message": "The server could not comply with the request since it is either malformed or otherwise incorrect."}}',
    },
  ])('when capture $capture sends "$header", then $status with exactly the captured body and headers', ({ header, status, headers, body }) => {
    expect(render(negotiateVersion(header, ZED))).toEqual({ status, headers, body: JSON.stringify(JSON.parse(body)) });
  });
});

describe('negotiateVersion with our server range', () => {
  describe('accepted versions', () => {
    it('when the header is absent, then the version is the minimum, 3.0', () => {
      expect(accepted(negotiateVersion(undefined))).toBe(MIN_API_VERSION);
      expect(MIN_API_VERSION).toBe('3.0');
    });

    it('when the header asks for volume latest, then the version is our maximum', () => {
      expect(accepted(negotiateVersion('volume latest'))).toBe(MAX_API_VERSION);
    });

    it('when the header asks for volume 3.0 or exactly our maximum, then both bounds are accepted', () => {
      expect(accepted(negotiateVersion('volume 3.0'))).toBe('3.0');
      expect(accepted(negotiateVersion(`volume ${MAX_API_VERSION}`))).toBe(MAX_API_VERSION);
    });

    it('when the header lists several services, then the volume element is used wherever it stands', () => {
      expect(accepted(negotiateVersion('compute 2.1, volume 3.5'))).toBe('3.5');
      expect(accepted(negotiateVersion('volume 3.5,compute 2.1'))).toBe('3.5');
    });

    it('when two elements name volume, then the first one wins', () => {
      expect(accepted(negotiateVersion('volume 3.5, volume 3.6'))).toBe('3.5');
    });

    it('when another word merely contains "volume", then Cinder\'s substring match takes it as the volume element', () => {
      expect(accepted(negotiateVersion('xvolumex 3.5'))).toBe('3.5');
    });

    it('when tokens are separated by tabs or runs of spaces, then they split as Python str.split() does', () => {
      expect(accepted(negotiateVersion('  volume \t 3.5  '))).toBe('3.5');
    });

    it('when tokens are separated by a Latin-1 NEL byte (\\x85), then it splits as in Python, unlike JS \\s', () => {
      expect(accepted(negotiateVersion('volume\x853.5'))).toBe('3.5');
    });

    it('when custom bounds are given, then latest means their maximum and absence their minimum', () => {
      expect(accepted(negotiateVersion('volume latest', { min: '3.1', max: '3.40' }))).toBe('3.40');
      expect(accepted(negotiateVersion(undefined, { min: ApiVersion.parse('3.1'), max: '3.40' }))).toBe('3.1');
    });
  });

  describe('400 badRequest', () => {
    it.each(['compute 3.70', 'garbage', '', 'Volume 3.5'])(
      'when the header is %j (no element contains lowercase "volume"), then 400 badRequest with webob\'s generic text and no version header',
      (header) => {
        expect(negotiateVersion(header)).toEqual({ ok: false, status: 400, faultKey: 'badRequest', message: MALFORMED });
      },
    );

    it.each(['foo', '3.07', '03.7', 'Latest', '3', 'v3.5'])(
      'when the header asks for volume %s, then 400 badRequest "is of invalid format" and no version header',
      (version) => {
        expect(negotiateVersion(`volume ${version}`)).toEqual({
          ok: false,
          status: 400,
          faultKey: 'badRequest',
          message: `API Version String ${version} is of invalid format. Must be of format MajorNum.MinorNum.`,
        });
      },
    );
  });

  describe('not two tokens', () => {
    it.each(['volume', 'volume 3.5 extra', 'volume, volume 3.5', 'compute 2.1, volume'])(
      'when the first volume element is %j, then 400 badRequest with webob\'s generic text (Cinder\'s unpacking ValueError is a 500)',
      (header) => {
        expect(negotiateVersion(header)).toEqual({ ok: false, status: 400, faultKey: 'badRequest', message: MALFORMED });
      },
    );
  });

  describe('406 computeFault', () => {
    it('when the header asks for volume 3.99, then 406 computeFault with the range message, echoing volume 3.99', () => {
      expect(negotiateVersion('volume 3.99')).toEqual({
        ok: false,
        status: 406,
        faultKey: 'computeFault',
        message: `Version 3.99 is not supported by the API. Minimum is 3.0 and maximum is ${MAX_API_VERSION}.`,
        echoVersion: '3.99',
      });
    });

    it('when the header asks for one past our maximum, then 406 echoing that version', () => {
      const result = fault(negotiateVersion(`volume ${NEXT_AFTER_MAX}`));
      expect(result.status).toBe(406);
      expect(result.message).toBe(`Version ${NEXT_AFTER_MAX} is not supported by the API. Minimum is 3.0 and maximum is ${MAX_API_VERSION}.`);
      expect(result.echoVersion).toBe(NEXT_AFTER_MAX);
    });

    it('when the header asks for volume 4.0, then 406 echoing volume 4.0', () => {
      const result = fault(negotiateVersion('volume 4.0'));
      expect(result).toMatchObject({ status: 406, faultKey: 'computeFault', echoVersion: '4.0' });
      expect(result.message).toBe(`Version 4.0 is not supported by the API. Minimum is 3.0 and maximum is ${MAX_API_VERSION}.`);
    });

    it.each(['2.0', '1.0', '12.0', '21.0'])(
      'when the header asks for volume %s (contains "1.0" or "2.0"), then 406 without echo, as Cinder\'s legacy-endpoint test',
      (version) => {
        const result = fault(negotiateVersion(`volume ${version}`));
        expect(result.status).toBe(406);
        expect(result.message).toBe(`Version ${version} is not supported by the API. Minimum is 3.0 and maximum is ${MAX_API_VERSION}.`);
        expect(result).not.toHaveProperty('echoVersion');
      },
    );

    it('when the requested minor is beyond a safe JS integer, then the message and echo keep every digit', () => {
      const result = fault(negotiateVersion('volume 3.99999999999999999999'));
      expect(result.message).toBe(
        `Version 3.99999999999999999999 is not supported by the API. Minimum is 3.0 and maximum is ${MAX_API_VERSION}.`,
      );
      expect(result.echoVersion).toBe('3.99999999999999999999');
    });
  });
});

describe('versionHeaders', () => {
  it('when a version is known, then the response carries OpenStack-API-Version and Vary', () => {
    expect(versionHeaders('3.16')).toEqual({ 'OpenStack-API-Version': 'volume 3.16', Vary: 'OpenStack-API-Version' });
    expect(versionHeaders(ApiVersion.parse('3.0'))).toEqual({ 'OpenStack-API-Version': 'volume 3.0', Vary: 'OpenStack-API-Version' });
  });
});
