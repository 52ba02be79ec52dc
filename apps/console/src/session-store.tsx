import type { Session } from './api-client';

const KEY = 'console.session';

/** The session lives in this tab's sessionStorage (gone with the tab), never in a URL. */
export function loadSession(): Session | null {
  try {
    const s = JSON.parse(sessionStorage.getItem(KEY) ?? 'null') as Session | null;
    return s && s.token && s.projectId ? s : null;
  } catch {
    return null;
  }
}

export function saveSession(session: Session | null): void {
  if (session) sessionStorage.setItem(KEY, JSON.stringify(session));
  else sessionStorage.removeItem(KEY);
}

/** The estimate a migration was started with, for its page's "estimate against actual". */
export function rememberEstimate(volumeId: string, expectedSeconds: number | null): void {
  sessionStorage.setItem(`console.estimate.${volumeId}`, JSON.stringify({ expectedSeconds, at: Date.now() }));
}

export function recalledEstimate(volumeId: string): { expectedSeconds: number | null; at: number } | null {
  try {
    return JSON.parse(sessionStorage.getItem(`console.estimate.${volumeId}`) ?? 'null');
  } catch {
    return null;
  }
}
