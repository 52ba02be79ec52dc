import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthError, ExitCode, UsageError } from '../exit-codes';
import { credentialsOf, mergeSettings, settingsFromEnv } from './auth-settings';
import { cloudSettings, configSearchPath } from './clouds-yaml';

const KEYSTONE_ENV = {
  OS_AUTH_URL: 'http://keystone.test:5000/v3',
  OS_USERNAME: 'ops',
  OS_PASSWORD: 'secret',
  OS_PROJECT_NAME: 'infra',
  OS_USER_DOMAIN_NAME: 'Users',
  OS_PROJECT_DOMAIN_NAME: 'Projects',
};

describe('credentials from OS_* variables and flags', () => {
  it('when the Keystone variables are set, then they are password credentials on the public interface', () => {
    expect(credentialsOf(settingsFromEnv(KEYSTONE_ENV))).toEqual({
      kind: 'password',
      authUrl: 'http://keystone.test:5000/v3',
      username: 'ops',
      userId: undefined,
      password: 'secret',
      userDomainName: 'Users',
      projectName: 'infra',
      projectId: undefined,
      projectDomainName: 'Projects',
      interface: 'public',
      regionName: undefined,
    });
  });

  it('when the domains are not named, then they are Default; OS_INTERFACE=internalURL reads as internal', () => {
    const env = { ...KEYSTONE_ENV, OS_USER_DOMAIN_NAME: '', OS_PROJECT_DOMAIN_NAME: undefined, OS_INTERFACE: 'internalURL', OS_REGION_NAME: 'r2' };
    expect(credentialsOf(settingsFromEnv(env))).toMatchObject({ userDomainName: 'Default', projectDomainName: 'Default', interface: 'internal', regionName: 'r2' });
  });

  it('when OS_AUTH_TYPE is noauth, then the endpoint, user and project are taken, the project defaulting to the user', () => {
    expect(credentialsOf(settingsFromEnv({ OS_AUTH_TYPE: 'noauth', OS_ENDPOINT: 'http://api.test:8776/v3/', OS_USER_ID: 'admin' }))).toEqual({
      kind: 'noauth',
      endpoint: 'http://api.test:8776/v3',
      userId: 'admin',
      projectId: 'admin',
    });
  });

  it('when flags and variables both name a value, then the flag wins, and the variable fills what the flag leaves', () => {
    const merged = mergeSettings({ projectName: 'from-flag' }, settingsFromEnv(KEYSTONE_ENV), { username: 'from-cloud', regionName: 'cloud-region' });
    expect(merged).toMatchObject({ projectName: 'from-flag', username: 'ops', regionName: 'cloud-region' });
  });

  it('when credentials are missing, then it is an auth error (exit 3) naming the variables and flags, never the password', () => {
    const err = (() => {
      try {
        credentialsOf(settingsFromEnv({ OS_AUTH_URL: 'http://k', OS_PASSWORD: 'hunter2' }));
      } catch (e) {
        return e as AuthError;
      }
    })();
    expect(err).toBeInstanceOf(AuthError);
    expect(err?.exitCode).toBe(ExitCode.Auth);
    expect(err?.message).toBe(
      'missing credentials: set OS_USERNAME (--os-username), OS_PROJECT_NAME (--os-project-name), or name a clouds.yaml entry with --os-cloud',
    );
    expect(() => credentialsOf(settingsFromEnv({ OS_AUTH_TYPE: 'noauth' }))).toThrow(/OS_ENDPOINT \(--os-endpoint\), OS_USER_ID \(--os-user-id\)/);
    expect(() => credentialsOf({ authType: 'token' })).toThrow(new AuthError("unsupported auth type 'token': use password (Keystone v3) or noauth"));
  });
});

describe('clouds.yaml, where openstackclient reads it', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'volctl-clouds-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('when looking for the file, then OS_CLIENT_CONFIG_FILE, the current directory, the user config and /etc/openstack are tried in that order', () => {
    expect(configSearchPath('clouds.yaml', { OS_CLIENT_CONFIG_FILE: '/x/c.yaml', HOME: '/home/u' }, '/work')).toEqual([
      '/x/c.yaml',
      '/work/clouds.yaml',
      '/home/u/.config/openstack/clouds.yaml',
      '/etc/openstack/clouds.yaml',
    ]);
    expect(configSearchPath('secure.yaml', { XDG_CONFIG_HOME: '/cfg' }, '/work')).toEqual(['/work/secure.yaml', '/cfg/openstack/secure.yaml', '/etc/openstack/secure.yaml']);
  });

  it("when a cloud is named, then its auth, region and interface are read and secure.yaml's password laid over it", async () => {
    const home = join(dir, 'home');
    await mkdir(join(home, '.config/openstack'), { recursive: true });
    await writeFile(
      join(home, '.config/openstack/clouds.yaml'),
      ['clouds:', '  prod:', '    region_name: r1', '    interface: internal', '    auth:', '      auth_url: http://k:5000', '      username: ops', '      project_name: infra', '      user_domain_name: D'].join('\n'),
    );
    await writeFile(join(dir, 'secure.yaml'), 'clouds:\n  prod:\n    auth:\n      password: from-secure\n');
    const settings = cloudSettings('prod', { HOME: home }, dir);
    expect(credentialsOf(settings)).toMatchObject({ kind: 'password', authUrl: 'http://k:5000', username: 'ops', password: 'from-secure', projectName: 'infra', userDomainName: 'D', interface: 'internal', regionName: 'r1' });
  });

  it('when the file or the cloud is missing, or the file is not YAML, then it is a usage error saying where it looked', async () => {
    expect(() => cloudSettings('prod', { HOME: dir }, dir)).toThrow(UsageError);
    expect(() => cloudSettings('prod', { HOME: dir }, dir)).toThrow(`--os-cloud prod: no clouds.yaml (looked in ${dir}/clouds.yaml, ${dir}/.config/openstack/clouds.yaml, /etc/openstack/clouds.yaml)`);
    await writeFile(join(dir, 'clouds.yaml'), 'clouds:\n  other: {}\n');
    expect(() => cloudSettings('prod', { HOME: dir }, dir)).toThrow(`--os-cloud prod: no such cloud in ${dir}/clouds.yaml`);
    await writeFile(join(dir, 'clouds.yaml'), 'clouds: [unclosed');
    expect(() => cloudSettings('prod', { HOME: dir }, dir)).toThrow(new RegExp(`^cannot read ${dir}/clouds.yaml: `));
  });
});
