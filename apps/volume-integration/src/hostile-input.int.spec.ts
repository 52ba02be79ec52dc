import { randomUUID } from 'node:crypto';
import { Agent } from 'node:http';
import fc from 'fast-check';
import { ADMIN, OTHER_PROJECT, PROJECT, TestStack } from '@volume/testing-stack';
import { notACinderAnswer, Outcome, send, sendRaw } from './support/hostile-client';
import { RawRequest, rawRequest } from './support/hostile-raw-requests';
import { HostileRequest, hostileRequest, Targets } from './support/hostile-requests';

/**
 * Generated hostile requests against the real apps over real HTTP. The run is reproducible: the
 * same seed generates the same requests (HOSTILE_SEED picks another, to explore).
 */
const SEED = Number(process.env.HOSTILE_SEED ?? 17_001);
const HTTP_RUNS = 5_000;
const RAW_RUNS = 1_000;

const V3 = `/v3/${PROJECT}`;
const AS_ADMIN = { 'X-Auth-Token': `admin:${PROJECT}`, 'OpenStack-API-Version': 'volume 3.72' };

// Cinder's (webob's, FaultWrapper's) texts, and ours where Cinder has none.
const ROUTER_404_TEXT = '404 Not Found\n\nThe resource could not be found.\n\n   ';
const GENERIC_400 = 'The server could not comply with the request since it is either malformed or otherwise incorrect.';
const UNDECODABLE = 'Error decoding your request. Either the URL or the request body contained characters that could not be decoded by Cinder.';
const UNAUTHORIZED =
  'This server could not verify that you are authorized to access the document you requested. Either you supplied the wrong ' +
  'credentials (e.g., bad password), or your browser does not understand how to supply the credentials required.';
const URI_TOO_LONG = 'The request URI was too long for this server.';
const UNSTORABLE = 'Invalid input received: text may hold neither null characters (U+0000) nor unpaired surrogates.';
const TOO_DEEP = 'Invalid input received: the request body is nested deeper than 32 levels.';
const DEEP_JSON = '['.repeat(10_000) + ']'.repeat(10_000);
/** Hex, so that the URL's project segment takes it as a project id; too long for any column of 255. */
const LONG_PROJECT = 'a'.repeat(300);

/** A raw HTTP/1.1 request, so that no client library tidies what is sent. */
function raw(method: string, path: string, headers: Record<string, string> = {}, body?: string, type = 'application/json'): RawRequest {
  const lines = [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  if (body !== undefined) lines.push(`Content-Type: ${type}`, `Content-Length: ${Buffer.byteLength(body)}`);
  return { method, bytes: Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body ?? ''}`) };
}

type ExpectedFault = { status: number; fault: string; message: string };
type Expected = ExpectedFault | { status: 404; router: true };
const fault = (status: number, name: string, message: string): ExpectedFault => ({ status, fault: name, message });
const ROUTER_404: Expected = { status: 404, router: true };

/** The refusals of issue 17 and their neighbours: each must say what Cinder says, with a request id. */
const KNOWN: [string, () => RawRequest, Expected][] = [
  ['an attachment id that is not a uuid', () => raw('GET', `${V3}/attachments/not-a-uuid`, AS_ADMIN),
    fault(404, 'itemNotFound', 'Volume attachment could not be found with filter: attachment_id = not-a-uuid.')],
  ["headers over the parser's limit", () => raw('GET', `${V3}/volumes`, { ...AS_ADMIN, 'X-Big': 'x'.repeat(20_000) }),
    fault(431, 'computeFault', 'The request header fields were too large')],
  ["a URI over the parser's limit", () => raw('GET', `${V3}/volumes/${'x'.repeat(20_000)}`, AS_ADMIN), fault(414, 'computeFault', URI_TOO_LONG)],
  ['a URI over 8 KiB', () => raw('GET', `${V3}/volumes/${'x'.repeat(9_000)}`, AS_ADMIN), fault(414, 'computeFault', URI_TOO_LONG)],
  ['a volume id of 300 characters', () => raw('GET', `${V3}/volumes/${'x'.repeat(300)}`, AS_ADMIN),
    fault(404, 'itemNotFound', `Volume ${'x'.repeat(300)} could not be found.`)],
  ['a body with DELETE', () => raw('DELETE', `${V3}/volumes/not-a-uuid`, AS_ADMIN, '{}'), fault(404, 'itemNotFound', 'Volume not-a-uuid could not be found.')],
  ['a body with PATCH', () => raw('PATCH', `${V3}/volumes`, AS_ADMIN, '{}'), ROUTER_404],
  ['a body with OPTIONS', () => raw('OPTIONS', `${V3}/volumes`, AS_ADMIN, '{}'), ROUTER_404],
  ['a %2e%2e path', () => raw('GET', `${V3}/%2e%2e/%2e%2e/volumes`, AS_ADMIN), ROUTER_404],
  ['CONNECT', () => raw('CONNECT', '127.0.0.1:443'), ROUTER_404],
  ['a malformed request line', () => ({ method: 'GARBAGE', bytes: Buffer.from('GARBAGE\r\n\r\n') }), fault(400, 'badRequest', GENERIC_400)],
  ['a malformed header', () => raw('GET', `${V3}/volumes`, { ...AS_ADMIN, 'Bad Header': 'x' }), fault(400, 'badRequest', GENERIC_400)],
  ['an undecodable path', () => raw('GET', `${V3}/volumes/%zz`, AS_ADMIN), fault(400, 'badRequest', UNDECODABLE)],
  ['a body over the limit', () => raw('POST', `${V3}/volumes`, AS_ADMIN, `{"volume": {"name": "${'x'.repeat(120_000)}"}}`),
    fault(413, 'overLimit', 'Request is too large.')],
  ['a body that is not JSON', () => raw('POST', `${V3}/volumes`, AS_ADMIN, 'not json'), fault(400, 'badRequest', 'Malformed request body')],
  ['a body of another type', () => raw('POST', `${V3}/volumes`, AS_ADMIN, 'size=1', 'text/plain'), fault(415, 'badMediaType', 'Unsupported Content-Type')],
  ['a NUL in a name', () => raw('POST', `${V3}/volumes`, AS_ADMIN, '{"volume": {"size": 1, "name": "a\\u0000b"}}'), fault(400, 'badRequest', UNSTORABLE)],
  ['an unpaired surrogate in a connector',
    () => raw('POST', `${V3}/attachments`, AS_ADMIN, `{"attachment": {"volume_uuid": "${randomUUID()}", "connector": {"host": "\\ud800"}}}`),
    fault(400, 'badRequest', UNSTORABLE)],
  ['a NUL in a filter', () => raw('GET', `${V3}/volumes?name=a%00b`, AS_ADMIN), fault(400, 'badRequest', UNSTORABLE)],
  ['a connector host of 256 characters',
    () => raw('POST', `${V3}/attachments`, AS_ADMIN, JSON.stringify({ attachment: { volume_uuid: randomUUID(), connector: { host: 'h'.repeat(256) } } })),
    fault(400, 'badRequest', 'Invalid input received: connector host is longer than 255 characters.')],
  ['a project id of 300 characters', () => raw('GET', '/v3/volumes', { 'X-Auth-Token': `admin:${'a'.repeat(300)}` }), fault(401, 'unauthorized', UNAUTHORIZED)],
  ['JSON nested 10,000 deep', () => raw('POST', `${V3}/volumes`, AS_ADMIN, DEEP_JSON), fault(400, 'badRequest', TOO_DEEP)],
  ['a version header of one token', () => raw('GET', `${V3}/volumes`, { ...AS_ADMIN, 'OpenStack-API-Version': 'volume' }), fault(400, 'badRequest', GENERIC_400)],
];

/** Every route that takes the id of a volume, attachment or type, with a body it would otherwise accept ('' for none). */
const ROUTES_WITH_IDS: [string, string, string][] = [
  ['GET', 'volumes/{id}', ''], ['PUT', 'volumes/{id}', '{"volume": {}}'], ['DELETE', 'volumes/{id}', ''],
  ['POST', 'volumes/{id}/action', '{"os-reset_status": {"status": "available"}}'], ['GET', 'attachments/{id}', ''],
  ['PUT', 'attachments/{id}', '{"attachment": {"connector": {}}}'], ['DELETE', 'attachments/{id}', ''],
  ['POST', 'attachments/{id}/action', '{"os-complete": null}'], ['GET', 'types/{id}', ''], ['DELETE', 'types/{id}', ''],
  ['GET', 'types/{id}/extra_specs', ''], ['POST', 'types/{id}/extra_specs', '{"extra_specs": {"k": "v"}}'],
  ['GET', 'types/{id}/extra_specs/k', ''], ['PUT', 'types/{id}/extra_specs/k', '{"k": "v"}'], ['DELETE', 'types/{id}/extra_specs/k', ''],
];

/** Every route of the API: those above, those without an id, and those naming a project (`{project}`). */
const EVERY_ROUTE: [string, string, string][] = [
  ...ROUTES_WITH_IDS,
  ['GET', 'volumes', ''], ['GET', 'volumes/detail', ''], ['GET', 'volumes/summary', ''], ['POST', 'volumes', '{"volume": {"size": 1}}'],
  ['GET', 'attachments', ''], ['GET', 'attachments/detail', ''], ['POST', 'attachments', `{"attachment": {"volume_uuid": "${randomUUID()}"}}`],
  ['GET', 'types', ''], ['GET', 'types/default', ''], ['POST', 'types', '{"volume_type": {"name": "never-made"}}'],
  ['GET', 'scheduler-stats/get_pools', ''], ['GET', 'os-services', ''], ['GET', 'os-quota-sets/{project}', ''],
  ['GET', 'os-quota-sets/{project}/defaults', ''], ['PUT', 'os-quota-sets/{project}', '{"quota_set": {"volumes": 5}}'], ['DELETE', 'os-quota-sets/{project}', ''],
];

const named = (route: string, id: string) => route.replace('{id}', id).replace('{project}', id);
const takesBody = (method: string) => method === 'POST' || method === 'PUT';

/** A fault, its message left out where it names the value sent; 0 where any Cinder answer below 500 will do. */
type RouteExpected = Omit<ExpectedFault, 'message'> & { message?: string } | 0;

/**
 * The values of issue 17 that once reached a 500, sent to every route. `undefined`: the route has
 * no place for the value. 0: the route may take the value (a project id is any text to Cinder
 * without Keystone; a GET reads no body), so any Cinder answer below 500 will do.
 */
const ON_EVERY_ROUTE: [string, (method: string, route: string, body: string) => [RawRequest, RouteExpected] | undefined][] = [
  ['a NUL in the query', (method, route, body) => [raw(method, `${V3}/${named(route, 'x')}?name=a%00b`, AS_ADMIN, body || undefined), fault(400, 'badRequest', UNSTORABLE)]],
  ['a NUL in the id', (method, route, body) =>
    route.includes('{') ? [raw(method, `${V3}/${named(route, 'a%00b')}`, AS_ADMIN, body || undefined), fault(400, 'badRequest', UNSTORABLE)] : undefined],
  ['an id of 300 characters', (method, route, body) =>
    route.includes('{') ? [raw(method, `${V3}/${named(route, LONG_PROJECT)}`, AS_ADMIN, body || undefined), route.includes('{id}') ? { status: 404, fault: 'itemNotFound' } : 0] : undefined],
  ['a NUL in the body', (method, route) =>
    [raw(method, `${V3}/${named(route, randomUUID())}`, AS_ADMIN, '{"x": "a\\u0000b"}'), takesBody(method) ? fault(400, 'badRequest', UNSTORABLE) : 0]],
  ['JSON nested 10,000 deep', (method, route) =>
    [raw(method, `${V3}/${named(route, randomUUID())}`, AS_ADMIN, DEEP_JSON), takesBody(method) ? fault(400, 'badRequest', TOO_DEEP) : 0]],
  ['a project id of 300 characters in the URL', (method, route, body) =>
    [raw(method, `/v3/${LONG_PROJECT}/${named(route, randomUUID())}`, AS_ADMIN, body || undefined), fault(400, 'badRequest', 'Malformed request url')]],
  ['a project id of 300 characters in the token', (method, route, body) =>
    [raw(method, `/v3/${named(route, randomUUID())}`, { 'X-Auth-Token': `admin:${LONG_PROJECT}` }, body || undefined), fault(401, 'unauthorized', UNAUTHORIZED)]],
];

const EVERY_ROUTE_CASES = ON_EVERY_ROUTE.flatMap(([what, make]) =>
  EVERY_ROUTE.flatMap(([method, route, body]) => {
    const made = make(method, route, body);
    return made ? [[what, method, route, ...made] as const] : [];
  }),
);

function check(method: string, outcome: Outcome, what: string): void {
  if ('dropped' in outcome) throw new Error(`${what}: connection dropped (${outcome.dropped})`);
  const problem = notACinderAnswer(method, outcome.answer);
  if (problem) throw new Error(`${what}: ${problem}`);
}

describe('hostile input: every answer is a Cinder answer (real HTTP, real apps, PostgreSQL, NATS)', () => {
  let stack: TestStack;
  let port: number;
  let targets: Targets;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const rowsOfKeptVolumes = async () => ({
    volumes: await stack.sql(`SELECT * FROM volumes WHERE id = ANY($1) ORDER BY id`, [targets.keptVolumeIds]),
    metadata: await stack.sql(`SELECT * FROM volume_metadata WHERE volume_id = ANY($1) ORDER BY id`, [targets.keptVolumeIds]),
  });
  let rowsBefore: Awaited<ReturnType<typeof rowsOfKeptVolumes>>;

  beforeAll(async () => {
    stack = await TestStack.start();
    await stack.api.app.listen(0, '127.0.0.1');
    port = (stack.api.app.getHttpServer().address() as { port: number }).port;
    const keptVolumeIds = [
      await stack.createVolume({ size: 1, name: 'kept-a', metadata: { purpose: 'kept' } }),
      await stack.createVolume({ size: 2, name: 'kept-b', description: 'left alone' }),
    ];
    const volumeId = await stack.createVolume({ size: 1, name: 'fuzzed' });
    const type = await stack.request('POST', `${V3}/types`, {
      headers: ADMIN,
      body: { volume_type: { name: 'fuzzed-type', extra_specs: { volume_backend_name: 'file' } } },
    });
    const attachment = await stack.request('POST', `${V3}/attachments`, {
      headers: ADMIN,
      version: '3.27',
      body: { attachment: { volume_uuid: volumeId, instance_uuid: randomUUID() } },
    });
    const [typeId, attachmentId] = [type.body.volume_type.id, attachment.body.attachment.id];
    targets = { project: PROJECT, otherProject: OTHER_PROJECT, keptVolumeIds, volumeId, typeId, attachmentId };
    rowsBefore = await rowsOfKeptVolumes();
  });

  afterAll(async () => {
    agent.destroy();
    await stack?.stop();
  });

  it.each(KNOWN)("when the API gets %s, then its answer is Cinder's", async (_what, request, expected) => {
    const outcome = await sendRaw(port, request());
    if (!('answer' in outcome)) throw new Error(`connection dropped (${outcome.dropped})`);
    const { status, headers, text } = outcome.answer;
    expect(status).toBe(expected.status);
    expect(String(headers['x-openstack-request-id'])).toMatch(/^req-[0-9a-f-]{36}$/);
    if ('router' in expected) expect(text).toBe(ROUTER_404_TEXT);
    else expect(JSON.parse(text)).toEqual({ [expected.fault]: { code: expected.status, message: expected.message } });
  });

  it.each(ROUTES_WITH_IDS)('when %s %s names an id that is not a uuid, then 404 itemNotFound', async (method, route, body) => {
    const outcome = await sendRaw(port, raw(method, `${V3}/${route.replace('{id}', 'not-a-uuid')}`, AS_ADMIN, body || undefined));
    if (!('answer' in outcome)) throw new Error(`connection dropped (${outcome.dropped})`);
    expect(outcome.answer.status).toBe(404);
    expect(Object.keys(JSON.parse(outcome.answer.text))).toEqual(['itemNotFound']);
  });

  it.each(EVERY_ROUTE_CASES)('when %s comes to %s %s, then a Cinder answer, never a 5xx', async (_what, method, route, request, expected) => {
    const outcome = await sendRaw(port, request);
    check(method, outcome, `${method} ${route}`);
    if (!('answer' in outcome) || expected === 0) return;
    const { status, fault: name, message = expect.any(String) } = expected;
    expect([outcome.answer.status, JSON.parse(outcome.answer.text)]).toEqual([status, { [name]: { code: status, message } }]);
  });

  it.each([
    ['a timestamp filter that is no time', '?created_at=5'],
    ['an id filter that is no uuid', '?id=not-a-uuid'],
  ])('when a list has %s, then it is empty, as Cinder finds no such volume', async (_what, query) => {
    const outcome = await sendRaw(port, raw('GET', `${V3}/volumes${query}`, AS_ADMIN));
    expect('answer' in outcome && JSON.parse(outcome.answer.text)).toEqual({ volumes: [] });
  });

  it('when a request comes without Host, then it is answered as any other (Cinder requires none)', async () => {
    const bytes = Buffer.from(`GET /v3/ HTTP/1.1\r\nX-Auth-Token: admin:${PROJECT}\r\nConnection: close\r\n\r\n`);
    const outcome = await sendRaw(port, { method: 'GET', bytes });
    expect('answer' in outcome && outcome.answer.status).toBe(200);
  });

  it('when a HEAD is refused before routing, then the refusal has headers and no body', async () => {
    const outcome = await sendRaw(port, raw('HEAD', `${V3}/volumes/%zz`, AS_ADMIN));
    expect('answer' in outcome && [outcome.answer.status, outcome.answer.text]).toEqual([400, '']);
  });

  it(`when ${HTTP_RUNS} generated hostile requests arrive over HTTP, then none is dropped or answered 5xx, and every error is a Cinder fault`, async () => {
    await fc.assert(
      fc.asyncProperty(hostileRequest(targets), async (r: HostileRequest) => {
        check(r.method, await send(port, agent, r), `${r.method} ${r.path.slice(0, 200)}`);
      }),
      { seed: SEED, numRuns: HTTP_RUNS },
    );
  }, 240_000);

  it(`when ${RAW_RUNS} malformed requests arrive on raw sockets, then each is answered before the connection closes (one cut short by the client's half-close too), errors with Cinder faults`, async () => {
    await fc.assert(
      fc.asyncProperty(rawRequest(targets), async (r: RawRequest) => {
        const outcome = await sendRaw(port, r);
        check(r.method, outcome, JSON.stringify(r.bytes.subarray(0, 200).toString('latin1')));
      }),
      { seed: SEED, numRuns: RAW_RUNS },
    );
  }, 240_000);

  it('when the hostile requests are over, then the API still answers and the volumes that were there are unchanged', async () => {
    const outcome = await send(port, agent, {
      method: 'GET',
      path: `${V3}/volumes/${targets.keptVolumeIds[0]}`,
      headers: { ...ADMIN, 'openstack-api-version': 'volume 3.72' },
      chunked: false,
    });
    if (!('answer' in outcome)) throw new Error(`connection dropped (${outcome.dropped})`);
    expect(outcome.answer.status).toBe(200);
    expect(JSON.parse(outcome.answer.text).volume).toMatchObject({ name: 'kept-a', metadata: { purpose: 'kept' } });
    expect(await rowsOfKeptVolumes()).toEqual(rowsBefore);
  });
});
