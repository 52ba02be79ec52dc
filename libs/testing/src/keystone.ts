import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports';

// The Keystone launcher and seed of `npm start` (plain Node modules, shared rather than copied).
const DEV_STACK = join(__dirname, '../../../tools/dev-stack');

interface KeystoneProcess {
  url: string;
  authUrl: string;
  logFile: string;
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

interface Seeded {
  projects: Record<string, string>;
  users: Record<string, { id?: string; password: string; project?: string }>;
}

/* eslint-disable @typescript-eslint/no-require-imports */
const launcher: { startKeystone(opts: Record<string, unknown>): Promise<KeystoneProcess> } = require(join(DEV_STACK, 'keystone.js'));
const seed: {
  seedKeystone(authUrl: string, adminPassword: string): Promise<Seeded>;
  issueToken(authUrl: string, who: { user: string; password: string; project?: string }): Promise<{ token: string; body: KeystoneTokenBody }>;
  registerVolumeEndpoint(authUrl: string, adminPassword: string, url: string): Promise<void>;
} = require(join(DEV_STACK, 'keystone-seed.js'));
/* eslint-enable @typescript-eslint/no-require-imports */

interface KeystoneTokenBody {
  user: { id: string };
  project?: { id: string };
  roles?: { name: string }[];
  expires_at: string;
}

export interface IssuedKeystoneToken {
  token: string;
  userId: string;
  projectId?: string;
  roles: string[];
  expiresAt: string;
}

/** The seeded users (tools/dev-stack/keystone-seed.js): admin, demo, reader, alt_demo, cinder, nova, noproject. */
export type KeystoneUserName = 'admin' | 'demo' | 'reader' | 'alt_demo' | 'cinder' | 'nova' | 'noproject';

/**
 * A real Keystone (Debian's `keystone` package, served by uwsgi) on a free port with a database of
 * its own in a temporary directory, seeded with a small Cinder deployment's users. Starting one
 * takes seconds: share one per spec file. Fails, never skips, when the package is missing.
 */
export class TestKeystone {
  private constructor(
    private readonly server: KeystoneProcess,
    private readonly dir: string,
    readonly adminPassword: string,
    readonly projects: Record<string, string>,
    readonly users: Seeded['users'],
  ) {}

  static async start(): Promise<TestKeystone> {
    const dir = await mkdtemp(join(tmpdir(), 'keystone-'));
    const adminPassword = 'admin-secret';
    try {
      const proc = await launcher.startKeystone({ dir, port: await freePort(), adminPassword });
      try {
        const { projects, users } = await seed.seedKeystone(proc.authUrl, adminPassword);
        return new TestKeystone(proc, dir, adminPassword, projects, users);
      } catch (err) {
        await proc.stop();
        throw err;
      }
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
  }

  /** http://127.0.0.1:<port>/v3 */
  get authUrl(): string {
    return this.server.authUrl;
  }

  /**
   * A token of `user`, scoped to its project (or `project`, or unscoped with `null`), and what
   * Keystone says it carries.
   */
  async token(user: KeystoneUserName, project?: string | null): Promise<IssuedKeystoneToken> {
    const u = this.users[user];
    const scope = project === null ? undefined : (project ?? u.project);
    const { token, body } = await seed.issueToken(this.authUrl, { user, password: u.password, project: scope });
    return {
      token,
      userId: body.user.id,
      projectId: body.project?.id,
      roles: (body.roles ?? []).map((r) => r.name),
      expiresAt: body.expires_at,
    };
  }

  /** Revokes a token (`DELETE /v3/auth/tokens`, as its admin). */
  async revoke(token: string): Promise<void> {
    const admin = await this.token('admin');
    const res = await fetch(`${this.authUrl}/auth/tokens`, {
      method: 'DELETE',
      headers: { 'x-auth-token': admin.token, 'x-subject-token': token },
    });
    if (res.status !== 204) throw new Error(`revoking a token: HTTP ${res.status} ${await res.text()}`);
  }

  /** Puts the Block Storage endpoint (`volumev3`) in the catalogue: `url` like http://127.0.0.1:<port>/v3/%(project_id)s. */
  registerVolumeEndpoint(url: string): Promise<void> {
    return seed.registerVolumeEndpoint(this.authUrl, this.adminPassword, url);
  }

  /** The API's settings to validate tokens here, as the service user `cinder`. */
  authEnv(extra: Record<string, string> = {}): Record<string, string> {
    return {
      AUTH_STRATEGY: 'keystone',
      KEYSTONE_AUTH_URL: this.authUrl,
      KEYSTONE_USERNAME: 'cinder',
      KEYSTONE_PASSWORD: this.users.cinder.password,
      KEYSTONE_PROJECT_NAME: 'service',
      ...extra,
    };
  }

  /** The `openstack` client's environment for `user` (OS_* variables). */
  cliEnv(user: KeystoneUserName): Record<string, string> {
    const u = this.users[user];
    return {
      OS_AUTH_URL: this.authUrl,
      OS_IDENTITY_API_VERSION: '3',
      OS_USERNAME: user,
      OS_PASSWORD: u.password,
      OS_PROJECT_NAME: u.project ?? '',
      OS_USER_DOMAIN_NAME: 'Default',
      OS_PROJECT_DOMAIN_NAME: 'Default',
      OS_INTERFACE: 'public',
      OS_REGION_NAME: 'RegionOne',
    };
  }

  /** Freezes Keystone: connections are accepted and never answered (slower than any timeout). */
  pause(): void {
    this.server.pause();
  }

  resume(): void {
    this.server.resume();
  }

  /** Stops Keystone (it can be asked nothing more) and removes its directory. */
  async stop(): Promise<void> {
    await this.server.stop();
    await rm(this.dir, { recursive: true, force: true });
  }
}
