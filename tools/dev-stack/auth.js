'use strict';
// How `npm start` authenticates: noauth (the default), or AUTH_STRATEGY=keystone against the Keystone
// of KEYSTONE_AUTH_URL, or, without one, a Keystone of our own in .data/keystone (Debian's keystone
// package, seeded as in keystone-seed.js). The readiness check and the banner speak the same way.
const path = require('path');
const { dataRoot, rel, log, probeTcp } = require('./common');
const { startKeystone } = require('./keystone');
const { SEED, issueToken, seedKeystone, registerVolumeEndpoint } = require('./keystone-seed');

const NOAUTH_PROJECT_ID = '6b1f8c0e2a4d4e7f9a3b5c7d9e1f2a3b';
const DEV_KEYSTONE_PORT = 5000;
// A Keystone on 127.0.0.1 for this machine only: its passwords are the seed's, printed in the banner.
const DEV_ADMIN_PASSWORD = 'admin-secret';

function noauth() {
  return {
    env: {},
    bridgeEnv: {},
    /** Headers and project of an admin, for the readiness check. */
    admin: async () => ({ headers: { 'x-auth-token': `admin:${NOAUTH_PROJECT_ID}` }, projectId: NOAUTH_PROJECT_ID }),
    afterApiStarted: async () => {},
    banner: (endpoint) => {
      const cinder = `cinder --os-auth-type noauth --os-endpoint ${endpoint} --os-user-id admin --os-project-id ${NOAUTH_PROJECT_ID}`;
      return [
        '[dev-stack] try it (the cinder CLI comes from `apt-get install python3-cinderclient`):',
        `  ${cinder} create --name demo 1`,
        `  ${cinder} list`,
        `  ${cinder} get-pools --detail`,
      ];
    },
    stop: async () => {},
  };
}

async function adminOf(authUrl, who) {
  const { token, body } = await issueToken(authUrl, who);
  return { headers: { 'x-auth-token': token }, projectId: body.project.id };
}

/**
 * The Keystone of KEYSTONE_AUTH_URL: the apps validate tokens with the KEYSTONE_* settings given;
 * the readiness check needs an admin of that cloud, from the openstack client's OS_* variables.
 */
function externalKeystone(env) {
  const missing = ['OS_USERNAME', 'OS_PASSWORD', 'OS_PROJECT_NAME'].filter((name) => !env[name]);
  if (missing.length) {
    throw new Error(
      `AUTH_STRATEGY=keystone with KEYSTONE_AUTH_URL: the readiness check asks the API for its pools as an admin; set ${missing.join(', ')} ` +
        '(an admin of that Keystone, as for the openstack client), or unset KEYSTONE_AUTH_URL to run a Keystone of our own',
    );
  }
  const authUrl = env.OS_AUTH_URL || env.KEYSTONE_AUTH_URL;
  const domain = (name) => env[name] || 'Default';
  return {
    env: {},
    // nova-bridge's compute host validates tokens and swaps as the same service user (KEYSTONE_*).
    bridgeEnv: {},
    admin: () =>
      adminOf(authUrl.replace(/\/+$/, '').replace(/(\/v3)?$/, '/v3'), {
        user: env.OS_USERNAME,
        password: env.OS_PASSWORD,
        project: env.OS_PROJECT_NAME,
        domain: domain('OS_USER_DOMAIN_NAME'),
      }),
    afterApiStarted: async () => {},
    banner: () => ['[dev-stack] tokens are validated with the Keystone at ' + env.KEYSTONE_AUTH_URL],
    stop: async () => {},
  };
}

async function devKeystone(apiPort) {
  const port = (await probeTcp('127.0.0.1', DEV_KEYSTONE_PORT)).open ? await anyFreePort() : DEV_KEYSTONE_PORT;
  const dir = path.join(dataRoot, 'keystone');
  log(`Keystone: starting one of our own on 127.0.0.1:${port} (data ${rel(dir)}, log ${rel(path.join(dir, 'keystone.log'))})`);
  const keystone = await startKeystone({ dir, port, adminPassword: DEV_ADMIN_PASSWORD });
  let users;
  try {
    ({ users } = await seedKeystone(keystone.authUrl, DEV_ADMIN_PASSWORD));
  } catch (err) {
    await keystone.stop();
    throw err;
  }
  log(`Keystone: ready at ${keystone.authUrl} (users ${SEED.users.map((u) => u.name).join(', ')}, admin)`);
  const cliEnv = (user) =>
    `OS_AUTH_URL=${keystone.authUrl} OS_IDENTITY_API_VERSION=3 OS_USERNAME=${user} OS_PASSWORD=${users[user].password} ` +
    `OS_PROJECT_NAME=${users[user].project} OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default`;
  return {
    env: {
      AUTH_STRATEGY: 'keystone',
      KEYSTONE_AUTH_URL: keystone.authUrl,
      KEYSTONE_USERNAME: 'cinder',
      KEYSTONE_PASSWORD: users.cinder.password,
      KEYSTONE_PROJECT_NAME: 'service',
    },
    // nova-bridge's compute host knows its callers by their tokens too, and swaps as `nova`, as Nova would.
    bridgeEnv: { KEYSTONE_USERNAME: 'nova', KEYSTONE_PASSWORD: users.nova.password },
    admin: () => adminOf(keystone.authUrl, { user: 'admin', password: DEV_ADMIN_PASSWORD, project: 'admin' }),
    // The catalogue's Block Storage endpoint, so that the openstack client finds this API.
    afterApiStarted: () => registerVolumeEndpoint(keystone.authUrl, DEV_ADMIN_PASSWORD, `http://127.0.0.1:${apiPort}/v3/%(project_id)s`),
    banner: () => [
      '[dev-stack] try it as demo, a project member (`apt-get install python3-cinderclient python3-openstackclient`):',
      `  export ${cliEnv('demo')}`,
      '  cinder create --name demo 1 && openstack volume list',
      `[dev-stack] as admin: OS_USERNAME=admin OS_PASSWORD=${DEV_ADMIN_PASSWORD} OS_PROJECT_NAME=admin cinder get-pools`,
    ],
    stop: async () => {
      await keystone.stop();
      log('Keystone: stopped');
    },
  };
}

function anyFreePort() {
  return new Promise((resolve, reject) => {
    const server = require('net').createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * The stack's authentication from the environment: { env (for the apps), bridgeEnv (nova-bridge's,
 * over env), admin(), afterApiStarted(), banner(endpoint), stop() }.
 */
async function ensureAuth(env, apiPort) {
  if ((env.AUTH_STRATEGY || 'noauth') !== 'keystone') return noauth();
  if (env.KEYSTONE_AUTH_URL) return externalKeystone(env);
  return devKeystone(apiPort);
}

module.exports = { ensureAuth };
