// Where to go after logging in. Discord's round trip always lands on the app's root (the
// api's API_WEB_URL), so the page the coach was on is kept in sessionStorage meanwhile.

const KEY = 'battle-station:next';

/** Only a path on this app: never `//host` or `https://…`, which would leave it. */
export function safeNext(value: string | null | undefined): string {
  if (!value || !value.startsWith('/') || value.startsWith('//') || value.startsWith('/login')) {
    return '/';
  }
  return value;
}

export function loginPath(next: string): string {
  const safe = safeNext(next);
  return safe === '/' ? '/login' : `/login?next=${encodeURIComponent(safe)}`;
}

export function rememberNext(next: string): void {
  sessionStorage.setItem(KEY, safeNext(next));
}

/** The remembered page, once: it is forgotten as it is read. */
export function takeRememberedNext(): string | null {
  const next = sessionStorage.getItem(KEY);
  sessionStorage.removeItem(KEY);
  return next === null ? null : safeNext(next);
}
