'use strict';
// The projects, users and roles of a small Cinder deployment, made through Keystone's v3 API as its
// admin (idempotent: what exists already is looked up), and the Block Storage endpoint in the
// catalogue. Used by `npm start` and by the test harness (libs/testing/src/keystone.ts).

/**
 * Who there is: `demo` (member) and `reader` (reader) in project demo, `alt_demo` (member) in
 * alt_demo, and the service users `cinder` (what the API validates tokens as) and `nova` (what
 * sends X-Service-Token), both with the role `service` in project service. `noproject` has no
 * role anywhere: its tokens are unscoped. The bootstrap's `admin` is admin of project admin.
 */
const SEED = {
  roles: ['service'],
  projects: ['demo', 'alt_demo', 'service'],
  users: [
    { name: 'demo', project: 'demo', role: 'member' },
    { name: 'reader', project: 'demo', role: 'reader' },
    { name: 'alt_demo', project: 'alt_demo', role: 'member' },
    { name: 'cinder', project: 'service', role: 'service' },
    { name: 'nova', project: 'service', role: 'service' },
    { name: 'noproject' },
  ],
};

class KeystoneError extends Error {
  constructor(method, path, status, text) {
    super(`Keystone ${method} ${path}: HTTP ${status} ${text.slice(0, 300)}`);
    this.status = status;
  }
}

/** A password-scoped token: { token, body } (body is Keystone's `token` object). Unscoped without `project`. */
async function issueToken(authUrl, { user, password, project, domain = 'Default' }) {
  const auth = { identity: { methods: ['password'], password: { user: { name: user, domain: { name: domain }, password } } } };
  if (project) auth.scope = { project: { name: project, domain: { name: domain } } };
  const res = await fetch(`${authUrl}/auth/tokens?nocatalog`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ auth }),
    signal: AbortSignal.timeout(10000),
  });
  const text = await res.text();
  if (res.status !== 201) throw new KeystoneError('POST', '/auth/tokens', res.status, text);
  return { token: res.headers.get('x-subject-token'), body: JSON.parse(text).token };
}

function client(authUrl, token) {
  const call = async (method, path, body) => {
    const res = await fetch(`${authUrl}${path}`, {
      method,
      headers: { 'x-auth-token': token, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(10000),
    });
    const text = await res.text();
    if (!res.ok) throw new KeystoneError(method, path, res.status, text);
    return text ? JSON.parse(text) : {};
  };
  // Creates `kind` named `name`, or finds the one there is (then `existed` is true).
  const ensure = async (collection, kind, ref) => {
    const found = (await call('GET', `/${collection}?name=${encodeURIComponent(ref.name)}`))[collection];
    if (found.length > 0) return { ...found[0], existed: true };
    return (await call('POST', `/${collection}`, { [kind]: ref }))[kind];
  };
  return { call, ensure };
}

/**
 * Makes SEED's projects, users (password `<name>-secret` unless `passwords` says otherwise) and role
 * assignments. Resolves { projects: {name: id}, users: {name: {id, password, project?}} }.
 */
async function seedKeystone(authUrl, adminPassword, passwords = {}) {
  const { token } = await issueToken(authUrl, { user: 'admin', password: adminPassword, project: 'admin' });
  const ks = client(authUrl, token);
  const roles = {};
  for (const role of (await ks.call('GET', '/roles')).roles) roles[role.name] = role.id;
  for (const name of SEED.roles) roles[name] ??= (await ks.ensure('roles', 'role', { name })).id;
  const projects = {};
  for (const name of ['admin', ...SEED.projects]) {
    projects[name] = (await ks.ensure('projects', 'project', { name, domain_id: 'default', description: `${name} (seeded)` })).id;
  }
  const users = { admin: { id: undefined, password: adminPassword, project: 'admin' } };
  for (const { name, project, role } of SEED.users) {
    const password = passwords[name] ?? `${name}-secret`;
    const user = await ks.ensure('users', 'user', { name, domain_id: 'default', password });
    // An existing user keeps its id; its password becomes the one asked for.
    if (user.existed) await ks.call('PATCH', `/users/${user.id}`, { user: { password } });
    if (project) await ks.call('PUT', `/projects/${projects[project]}/users/${user.id}/roles/${roles[role]}`);
    users[name] = { id: user.id, password, project };
  }
  return { projects, users };
}

/**
 * Registers (or points at `url`) the Block Storage service `cinderv3` of type `volumev3` with a
 * public endpoint: `url` like http://127.0.0.1:8776/v3/%(project_id)s, as Cinder's install guide has.
 */
async function registerVolumeEndpoint(authUrl, adminPassword, url, region = 'RegionOne') {
  const { token } = await issueToken(authUrl, { user: 'admin', password: adminPassword, project: 'admin' });
  const ks = client(authUrl, token);
  const service = (await ks.call('GET', '/services?type=volumev3')).services[0] ??
    (await ks.call('POST', '/services', { service: { name: 'cinderv3', type: 'volumev3', description: 'OpenStack Block Storage' } })).service;
  const existing = (await ks.call('GET', `/endpoints?service_id=${service.id}&interface=public`)).endpoints[0];
  if (existing) await ks.call('PATCH', `/endpoints/${existing.id}`, { endpoint: { url } });
  else await ks.call('POST', '/endpoints', { endpoint: { service_id: service.id, interface: 'public', region_id: region, url } });
}

module.exports = { SEED, issueToken, seedKeystone, registerVolumeEndpoint };
