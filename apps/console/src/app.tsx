import { useEffect, useMemo, useState } from 'preact/hooks';
import { ConsoleApi, type Session } from './api-client';
import { HistoryPage } from './history-page';
import { MigrationPage } from './migration-page';
import { RunningPage } from './running-page';
import { loadSession, saveSession } from './session-store';
import { SignIn } from './sign-in';
import { StartPage } from './start-page';

/** Hash routes: the page works from one static file set, and a reload keeps the page. */
function useHashRoute(): string {
  const [hash, setHash] = useState(location.hash || '#/running');
  useEffect(() => {
    const onChange = () => setHash(location.hash || '#/running');
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return hash;
}

const NAV = [
  ['#/running', 'Running'],
  ['#/history', 'History'],
  ['#/start', 'Start a migration'],
] as const;

export function App() {
  const [session, setSession] = useState<Session | null>(loadSession);
  const hash = useHashRoute();
  const api = useMemo(() => (session ? new ConsoleApi(session) : null), [session]);
  const signOut = () => {
    saveSession(null);
    setSession(null);
  };
  if (!api || !session) {
    return (
      <SignIn
        onSignedIn={(s) => {
          saveSession(s);
          setSession(s);
        }}
      />
    );
  }
  const migrationId = /^#\/migrations\/([^/]+)$/.exec(hash)?.[1];
  let page;
  if (migrationId) page = <MigrationPage api={api} id={decodeURIComponent(migrationId)} />;
  else if (hash === '#/history') page = <HistoryPage api={api} />;
  else if (hash === '#/start') page = <StartPage api={api} />;
  else page = <RunningPage api={api} />;
  return (
    <>
      <header class="top">
        <span class="brand">Volume migrations</span>
        <nav aria-label="Pages">
          {NAV.map(([href, label]) => (
            <a key={href} href={href} aria-current={hash === href ? 'page' : undefined}>
              {label}
            </a>
          ))}
        </nav>
        <span class="who">
          {session.user} · project {session.projectId.slice(0, 8)}
          <button type="button" class="link" onClick={signOut}>
            Sign out
          </button>
        </span>
      </header>
      <main>{page}</main>
    </>
  );
}
