import { validateHeaderValue } from 'node:http';
import fc from 'fast-check';

/**
 * Generators of hostile requests for the fuzz spec. Most requests reach a route with credentials and
 * a body of the right shape, with one or a few values that break services (NUL, overlong, deeply
 * nested, undecodable, of the wrong type); the rest are hostile all over (methods, paths, headers).
 */

/** What the requests may name. The volumes kept unchanged are only ever read. */
export interface Targets {
  project: string;
  otherProject: string;
  keptVolumeIds: string[];
  /** A volume, a type and an attachment the requests may change at will. */
  volumeId: string;
  typeId: string;
  attachmentId: string;
}

export interface HostileRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** Sent with Transfer-Encoding: chunked, in two pieces, instead of with a Content-Length. */
  chunked: boolean;
}

export const LONG = (n: number) => 'x'.repeat(n);

/** Percent-encodes every byte but the unreserved ones; a lone surrogate goes as U+FFFD, as a client's UTF-8 would. */
export function percentEncode(text: string): string {
  return [...Buffer.from(text, 'utf8')]
    .map((b) => (/[A-Za-z0-9_.~-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`))
    .join('');
}

/** Usually `valid`, sometimes `hostile`: a request broken in one place gets past the checks before it. */
const mostly = <T, U>(valid: fc.Arbitrary<T>, hostile: fc.Arbitrary<U>, odds = 4) =>
  fc.oneof({ weight: odds, arbitrary: valid }, { weight: 1, arbitrary: hostile });

/** Now and then `arb`, mostly nothing. */
const rare = <T>(arb: fc.Arbitrary<T>) => fc.oneof({ weight: 6, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });

/** Strings that have broken services: NUL, lengths around the columns' 255, numbers as text, injection. */
export const hostileText = fc.oneof(
  fc.constantFrom(
    '', ' ', '\0', 'a\0b', '\t\n\r', LONG(255), LONG(256), LONG(5000), '-1', '0', '1.5', '1e999', '9'.repeat(40),
    'null', 'true', "' OR 1=1 --", '%00', '%s%n', '${jndi:x}', '\ud800', '\uffff', 'é'.repeat(200), '../../etc/passwd',
    'available', 'error', 'in-use', 'migrating', 'rw', 'ro', 'host-a', '__proto__', 'constructor',
  ),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 300 }),
);

/** Any JSON value, of any type, holding the hostile strings at any depth. */
export function hostileJson(targets: Targets): fc.Arbitrary<unknown> {
  const scalar = fc.oneof(
    hostileText,
    fc.constantFrom(targets.volumeId, targets.typeId, targets.attachmentId),
    fc.uuid(),
    fc.integer(),
    fc.constantFrom(0, -1, 1, 2 ** 31, 2 ** 53 + 1, 1e308, -0, 0.5),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
  );
  return fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, tie('array'), tie('object')),
    array: fc.array(tie('value'), { maxLength: 4 }),
    object: fc.dictionary(hostileText, tie('value'), { maxKeys: 4 }),
  })).value;
}

/**
 * An object with some of `known`'s fields: sensible ones, or (`hostile`) with hostile values among
 * them and now and then a stray key.
 */
function fields(targets: Targets, hostile: boolean, known: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<Record<string, unknown>> {
  if (!hostile) return fc.record(known, { requiredKeys: [] });
  const bad = hostileJson(targets);
  const entries = Object.fromEntries(Object.entries(known).map(([k, valid]) => [k, mostly(valid, bad, 2)]));
  return fc
    .tuple(fc.record(entries, { requiredKeys: [] }), rare(fc.dictionary(hostileText, bad, { maxKeys: 2 })))
    .map(([record, stray]) => ({ ...record, ...stray }));
}

/** Bodies shaped for each route; `hostile` puts hostile values in them. */
function bodies(targets: Targets, hostile: boolean) {
  const text = hostile ? mostly(fc.string({ maxLength: 30 }), hostileText, 2) : fc.string({ minLength: 1, maxLength: 30 });
  const metadata = fc.dictionary(text, text, { maxKeys: 3 });
  const uuid = fc.oneof(fc.uuid(), fc.constantFrom(targets.volumeId, targets.attachmentId));
  const connector = fields(targets, hostile, {
    host: text, mountpoint: text, initiator: text, ip: text, platform: text, os_type: text, multipath: fc.boolean(), do_local_attach: fc.boolean(),
  });
  const wrap = (key: string, inner: fc.Arbitrary<unknown>) => inner.map((v) => ({ [key]: v }));
  return {
    createVolume: wrap('volume', fields(targets, hostile, {
      size: fc.integer({ min: 1, max: 3 }), name: text, description: text, metadata, volume_type: fc.constantFrom(targets.typeId, 'fuzzed-type'),
      availability_zone: fc.constant('nova'), multiattach: fc.boolean(), snapshot_id: uuid, source_volid: uuid, scheduler_hints: metadata,
    })),
    updateVolume: wrap('volume', fields(targets, hostile, { name: text, description: text, metadata, display_name: text })),
    volumeAction: fc.oneof(
      wrap('os-migrate_volume', fields(targets, hostile, { host: text, force_host_copy: fc.boolean(), lock_volume: fc.boolean(), cluster: text })),
      wrap('os-reset_status', fields(targets, hostile, { status: text, attach_status: text, migration_status: text })),
      wrap('os-migrate_volume_completion', fields(targets, hostile, { new_volume: uuid, error: fc.boolean() })),
      wrap('os-extend', fields(targets, hostile, { new_size: fc.integer({ min: 1, max: 4 }) })),
      fc.constantFrom({ 'os-begin_detaching': {} }, { 'os-roll_detaching': null }, { 'os-force_delete': {} }, {}, { a: 1, b: 2 }),
    ),
    createAttachment: wrap('attachment', fields(targets, hostile, {
      volume_uuid: uuid, instance_uuid: fc.uuid(), connector: fc.option(connector, { nil: null }), mode: fc.constantFrom('rw', 'ro'),
    })),
    updateAttachment: wrap('attachment', fields(targets, hostile, { connector })),
    attachmentAction: fc.constantFrom({ 'os-complete': null }, { 'os-complete': {} }, { 'os-complete': 1, x: 2 }, { 'os-terminate': null }),
    createType: wrap('volume_type', fields(targets, hostile, { name: text, description: text, is_public: fc.boolean(), extra_specs: metadata })),
    extraSpecs: wrap('extra_specs', metadata),
    extraSpec: metadata,
    quotaSet: wrap('quota_set', fields(targets, hostile, {
      volumes: fc.integer({ min: -1, max: 100 }), gigabytes: fc.integer({ min: -1, max: 1000 }), per_volume_gigabytes: fc.integer({ min: -1, max: 10 }),
    })),
  };
}

/** Bodies that are not JSON, or are JSON no service expects: deep, huge, undecodable. */
const nested = (depth: number, open: string, close: string) => open.repeat(depth) + close.repeat(depth);
const RAW_BODIES = fc.constantFrom(
  '{', 'not json', '{"volume": {"size": 1,}}', '{"a":1}{"b":2}', '\ufeff{}', '1e999', '"\\u0000"', '{"\\u0000": 1}', '',
  nested(10_000, '[', ']'), nested(5_000, '{"a":', '}').replace(/}$/, '1}'), `{"volume": {"name": "${LONG(120_000)}"}}`,
  `{"volume": {"size": 1, "metadata": {${Array.from({ length: 2000 }, (_, i) => `"k${i}": "v"`).join(',')}}}}`,
).map((s) => Buffer.from(s));
const UNDECODABLE_BODY = fc.constant(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0xc0, 0xaf, 0x22, 0x7d]));

function wildBody(targets: Targets): fc.Arbitrary<Buffer | undefined> {
  return fc.oneof(
    { weight: 3, arbitrary: hostileJson(targets).map((v) => Buffer.from(JSON.stringify(v) ?? 'null')) },
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 2, arbitrary: RAW_BODIES },
    { weight: 1, arbitrary: UNDECODABLE_BODY },
  );
}

/** Path segments that are not what a route expects: not uuids, undecodable, traversal, overlong. */
const hostileSegment = fc.oneof(
  fc.constantFrom(
    'not-a-uuid', '%00', 'a%00b', '%2e%2e', '..', '.', '%zz', '%ff', '%c0%af', '%2f', LONG(300), LONG(9000), '0', '-1',
    'null', '__proto__', '%20', '%27', '%22', 'ABCDEF00-0000-0000-0000-000000000000', '0123456789abcdef0123456789abcdef',
    '{00000000-0000-0000-0000-000000000000}', 'detail', 'summary', 'default', '\u00ff', '%E2%80%AE',
  ),
  fc.string({ unit: 'grapheme', maxLength: 60 }).map(percentEncode),
);

/** The parts of a request that may be hostile; a request gets up to two, so that most get deep. */
const ASPECTS = ['prefix', 'id', 'query', 'token', 'version', 'contentType', 'headers', 'fields', 'body', 'route'] as const;
type Aspect = (typeof ASPECTS)[number];

interface Routed {
  method: string;
  route: string;
  body?: fc.Arbitrary<unknown>;
}

/** A method, a route of the API and a body shaped for that route; or (`route`) neither. */
function routed(targets: Targets, bad: Set<Aspect>): fc.Arbitrary<Routed> {
  if (bad.has('route')) {
    const methods = fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'PROPFIND', 'SEARCH');
    const segments = fc.array(fc.oneof(hostileSegment, fc.constantFrom('volumes', 'attachments', 'types', 'action')), { minLength: 1, maxLength: 4 });
    return fc.tuple(methods, segments).map(([method, s]) => ({ method, route: s.join('/'), body: hostileJson(targets) }));
  }
  const id = (...known: string[]) => (bad.has('id') ? fc.oneof(fc.uuid(), hostileSegment) : fc.constantFrom(...known));
  const readable = id(...targets.keptVolumeIds, targets.volumeId, targets.typeId, targets.attachmentId);
  const volume = id(targets.volumeId);
  const attachment = id(targets.attachmentId);
  const type = id(targets.typeId, 'fuzzed-type');
  // Quotas are changed only for the other project: a limit of 0 on the fuzzed one would refuse the rest of the run.
  const quotaTarget = id(targets.project, targets.otherProject);
  const changedQuota = id(targets.otherProject);
  const gone = fc.oneof(fc.uuid(), hostileSegment);
  const key = bad.has('id') ? hostileText.map(percentEncode) : fc.constantFrom('volume_backend_name', 'k');
  const b = bodies(targets, bad.has('fields'));
  const route = (method: string, path: fc.Arbitrary<string>, shaped?: fc.Arbitrary<unknown>) => path.map((p) => ({ method, route: p, body: shaped }));
  const lists = ['volumes', 'volumes/detail', 'volumes/summary', 'attachments', 'attachments/detail', 'types', 'types/default', 'scheduler-stats/get_pools', 'os-services', ''];
  return fc.oneof(
    { weight: 2, arbitrary: route('GET', fc.constantFrom(...lists)) },
    { weight: 2, arbitrary: route('GET', fc.tuple(fc.constantFrom('volumes', 'attachments', 'types'), readable).map(([r, i]) => `${r}/${i}`)) },
    { weight: 1, arbitrary: route('GET', fc.tuple(type, fc.option(key)).map(([t, k]) => `types/${t}/extra_specs${k === null ? '' : `/${k}`}`)) },
    { weight: 1, arbitrary: route('HEAD', readable.map((i) => `volumes/${i}`)) },
    { weight: 2, arbitrary: route('POST', fc.constant('volumes'), b.createVolume) },
    { weight: 1, arbitrary: route('PUT', volume.map((v) => `volumes/${v}`), b.updateVolume) },
    { weight: 3, arbitrary: route('POST', volume.map((v) => `volumes/${v}/action`), b.volumeAction) },
    // What the requests may change is never deleted: the rest of the run would lose it.
    { weight: 1, arbitrary: route('DELETE', gone.map((v) => `volumes/${v}`)) },
    { weight: 2, arbitrary: route('POST', fc.constant('attachments'), b.createAttachment) },
    { weight: 1, arbitrary: route('PUT', attachment.map((a) => `attachments/${a}`), b.updateAttachment) },
    { weight: 1, arbitrary: route('POST', attachment.map((a) => `attachments/${a}/action`), b.attachmentAction) },
    { weight: 1, arbitrary: route('DELETE', gone.map((a) => `attachments/${a}`)) },
    { weight: 1, arbitrary: route('POST', fc.constant('types'), b.createType) },
    { weight: 1, arbitrary: route('POST', type.map((t) => `types/${t}/extra_specs`), b.extraSpecs) },
    { weight: 1, arbitrary: route('PUT', fc.tuple(type, key).map(([t, k]) => `types/${t}/extra_specs/${k}`), b.extraSpec) },
    { weight: 1, arbitrary: route('DELETE', fc.oneof(gone.map((t) => `types/${t}`), fc.tuple(type, key).map(([t, k]) => `types/${t}/extra_specs/${k}`))) },
    { weight: 1, arbitrary: route('GET', fc.tuple(quotaTarget, fc.boolean()).map(([t, d]) => `os-quota-sets/${t}${d ? '/defaults' : ''}`)) },
    { weight: 1, arbitrary: route('PUT', changedQuota.map((t) => `os-quota-sets/${t}`), b.quotaSet) },
    { weight: 1, arbitrary: route('DELETE', changedQuota.map((t) => `os-quota-sets/${t}`)) },
  );
}

function prefix(targets: Targets, bad: boolean): fc.Arbitrary<string> {
  if (!bad) return fc.constantFrom('/v3/', `/v3/${targets.project}/`);
  return fc.constantFrom(`/v3/${targets.otherProject}/`, `/v3/${'a'.repeat(300)}/`, '/v3/not-hex/', '/', '/v2/', '/v3/%2e%2e/', '/v3/../', '//v3//', '/V3/');
}

const QUERY_KEYS = fc.constantFrom(
  'limit', 'marker', 'offset', 'sort', 'sort_key', 'sort_dir', 'with_count', 'all_tenants', 'name', 'status',
  'metadata', 'created_at', 'updated_at', 'is_public', 'detail', 'volume_id', 'instance_id', 'attach_status',
  'availability_zone', 'bootable', 'project_id', 'host', 'id', 'size', 'volume_type', 'glance_metadata', 'a[b]',
);

function query(targets: Targets, bad: boolean): fc.Arbitrary<string> {
  if (!bad) return fc.constantFrom('', '', '', '?limit=1', '?sort=name:asc', '?all_tenants=1', '?with_count=true', `?marker=${targets.volumeId}`);
  const value = fc.oneof(hostileText, fc.uuid(), fc.constantFrom(targets.volumeId, 'name:asc', 'size:desc,id', '{"k":"v"}', '1e309', '5', 'true'));
  const pair = fc.tuple(fc.oneof({ weight: 4, arbitrary: QUERY_KEYS }, hostileText), value).map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`);
  return fc.oneof(
    { weight: 4, arbitrary: fc.array(pair, { minLength: 1, maxLength: 5 }).map((p) => `?${p.join('&')}`) },
    { weight: 1, arbitrary: fc.constantFrom('?', '?&&', '?=', '?limit', '?%zz=1', '?name=%ff', '?a=%00', `?q=${LONG(9000)}`) },
  );
}

/** Header values a client can send (Node's client refuses CR, LF and NUL, as the parser would). */
function headerSafe(arb: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return arb.filter((v) => {
    try {
      validateHeaderValue('x', v);
      return true;
    } catch {
      return false;
    }
  });
}

function headers(targets: Targets, bad: Set<Aspect>): fc.Arbitrary<Record<string, string>> {
  const p = targets.project;
  const anything = headerSafe(hostileText);
  const pick = (aspect: Aspect, valid: fc.Arbitrary<string | undefined>, hostile: fc.Arbitrary<string | undefined>) => (bad.has(aspect) ? hostile : valid);
  const extra = (arb: fc.Arbitrary<string>) => (bad.has('headers') ? fc.option(arb, { nil: undefined }) : fc.constant(undefined));
  return fc
    .record({
      'x-auth-token': pick(
        'token',
        fc.constantFrom(`admin:${p}`, `admin:${p}`, `demo:${p}`),
        fc.oneof(fc.constantFrom(undefined, `other:${targets.otherProject}`, 'nova', 'admin', ':', 'admin:', `:${p}`, `admin:${LONG(300)}`, `${LONG(300)}:${p}`), anything),
      ),
      'openstack-api-version': pick(
        'version',
        fc.constantFrom(undefined, 'volume 3.0', 'volume 3.27', 'volume 3.44', 'volume 3.54', 'volume 3.72', 'volume 3.72', 'volume latest'),
        fc.oneof(
          fc.constantFrom('volume 3.73', 'volume 4.0', 'volume 2.0', 'volume', 'volume 3.', 'volume 3.1.1', 'compute 2.1', 'volume 03.010'),
          fc.constantFrom('volume -3.5', `volume 3.${'9'.repeat(30)}`, `volume ${'9'.repeat(30)}.0`, 'volume 3.72, volume 3.0'),
          anything,
        ),
      ),
      'content-type': pick(
        'contentType',
        fc.constantFrom('application/json', 'application/json; charset=utf-8'),
        fc.oneof(fc.constantFrom(undefined, 'APPLICATION/JSON', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', '*/*', ''), anything),
      ),
      'x-roles': extra(fc.oneof(fc.constantFrom('admin', 'service', 'member', 'admin,service', ',,,'), anything)),
      'x-user-id': extra(anything),
      'x-project-id': extra(anything),
      accept: extra(anything),
      host: extra(anything),
      'x-forwarded-proto': extra(anything),
      'x-forwarded-host': extra(anything),
      'x-openstack-request-id': extra(anything),
    })
    .map((h) => Object.fromEntries(Object.entries(h).filter((e): e is [string, string] => e[1] !== undefined)));
}

export function hostileRequest(targets: Targets): fc.Arbitrary<HostileRequest> {
  return fc
    .shuffledSubarray([...ASPECTS], { maxLength: 2 })
    .map((aspects) => new Set<Aspect>(aspects))
    .chain((bad) =>
      routed(targets, bad).chain(({ method, route, body: shaped }) =>
        fc.record({
          method: fc.constant(method),
          path: fc.tuple(prefix(targets, bad.has('prefix')), query(targets, bad.has('query'))).map(([p, q]) => p + route + q),
          headers: headers(targets, bad),
          body: bad.has('body') ? wildBody(targets) : shaped ? shaped.map((v) => Buffer.from(JSON.stringify(v))) : fc.constant(undefined),
          chunked: fc.boolean(),
        }),
      ),
    );
}
