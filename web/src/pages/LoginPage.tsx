import { useState } from 'react';
import { useNavigate, useSearchParams } from 'react-router';
import { api, call } from '../api/client';
import { useClearCache } from '../auth/actions';
import { rememberNext, safeNext } from '../auth/next';
import { FullPage } from '../components/Layout';
import { ErrorNotice } from '../components/States';

/** Local development only (`npm run dev` against an api with API_DEV_LOGIN=true): the
 * branch is compiled out of production builds. */
function DevLogin({ next }: { next: string }) {
  const navigate = useNavigate();
  const clearCache = useClearCache();
  const [error, setError] = useState<unknown>(null);
  const logIn = async () => {
    try {
      await call(api.POST('/auth/dev-login', { body: {} }));
      await clearCache();
      navigate(next, { replace: true });
    } catch (failure) {
      setError(failure);
    }
  };
  return (
    <div className="dev-login">
      <button type="button" onClick={() => void logIn()}>
        Dev login (local only)
      </button>
      {error ? <ErrorNotice error={error} /> : null}
    </div>
  );
}

/** Why the api sent the browser back from Discord (`/login?error=<code>`). */
const LOGIN_FAILURES: Record<string, string> = {
  not_a_coach: 'That Discord account is not a coach here. Log in with your coach account.',
  oauth_state_mismatch: 'That login link expired or was opened in another browser. Log in again.',
  oauth_denied: 'Discord did not grant the login. Log in again and choose Authorize.',
};

function loginFailure(code: string): string {
  return LOGIN_FAILURES[code] ?? `The login did not complete (${code}). Try again.`;
}

export function LoginPage() {
  const [params] = useSearchParams();
  const next = safeNext(params.get('next'));
  const failed = params.get('error');
  return (
    <FullPage title="Battle Station">
      <p>MonsterCoach’s dashboard for coaches: who needs you today, and why.</p>
      {failed && (
        <p className="notice error" role="alert">
          {loginFailure(failed)}
        </p>
      )}
      {next !== '/' && <p className="notice">Log in to carry on where you were.</p>}
      {/* A full page visit, not a fetch: the api sends the browser on to Discord. */}
      <a className="button primary" href="/api/auth/login" onClick={() => rememberNext(next)}>
        Log in with Discord
      </a>
      {import.meta.env.DEV && <DevLogin next={next} />}
    </FullPage>
  );
}
