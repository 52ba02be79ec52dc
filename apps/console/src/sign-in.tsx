import { useEffect, useState } from 'preact/hooks';
import type { Session } from './api-client';

/** What volume-api's /console/config.json says (apps/volume-api/src/console/console-config.ts). */
interface ConsoleConfig {
  auth_strategy: 'noauth' | 'keystone';
  keystone_url: string | null;
  token_path: string;
}

function field(form: HTMLFormElement, name: string): string {
  return String(new FormData(form).get(name) ?? '').trim();
}

/**
 * Keystone: username, password and project go to volume-api's token route, which asks Keystone
 * server-side (a browser's call to Keystone would need CORS there). noauth: the token is
 * `user:project`, as volume-api's noauth reads it (the user `admin` is an admin).
 */
export function SignIn({ onSignedIn }: { onSignedIn: (s: Session) => void }) {
  const [config, setConfig] = useState<ConsoleConfig | null>(null);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    fetch('/console/config.json')
      .then((r) => (r.ok ? r.json() : Promise.reject(new Error(`config.json answered HTTP ${r.status}`))))
      .then(setConfig, (err: Error) => setError(err.message));
  }, []);

  const submit = async (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    setError('');
    if (config?.auth_strategy === 'noauth') {
      const user = field(form, 'user');
      const projectId = field(form, 'project') || user;
      onSignedIn({ token: `${user}:${projectId}`, projectId, user });
      return;
    }
    setBusy(true);
    try {
      const res = await fetch(config?.token_path ?? '/console/api/token', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({
          username: field(form, 'user'),
          password: new FormData(form).get('password'),
          project_name: field(form, 'project'),
          domain_name: field(form, 'domain') || 'Default',
        }),
      });
      const body = await res.json().catch(() => ({}));
      if (!res.ok) throw new Error((Object.values(body)[0] as { message?: string } | undefined)?.message ?? `HTTP ${res.status}`);
      onSignedIn({ token: body.token, projectId: body.project_id, user: body.user });
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const keystone = config?.auth_strategy === 'keystone';
  return (
    <main class="sign-in">
      <h1>Volume migrations console</h1>
      <form onSubmit={submit} aria-label="Sign in">
        <p class="hint">
          {config === null ? 'Loading…' : keystone ? `Keystone password sign-in (${config.keystone_url ?? 'Keystone'})` : 'noauth: a user and a project id'}
        </p>
        <label>
          {keystone ? 'Username' : 'User'}
          <input name="user" autocomplete="username" required defaultValue={keystone ? undefined : 'admin'} />
        </label>
        {keystone && (
          <label>
            Password
            <input name="password" type="password" autocomplete="current-password" required />
          </label>
        )}
        <label>
          {keystone ? 'Project' : 'Project id'}
          <input name="project" required={keystone} />
        </label>
        {keystone && (
          <label>
            Domain
            <input name="domain" defaultValue="Default" />
          </label>
        )}
        <button type="submit" disabled={busy || config === null}>
          Sign in
        </button>
        {error && (
          <p role="alert" class="error">
            {error}
          </p>
        )}
      </form>
    </main>
  );
}
