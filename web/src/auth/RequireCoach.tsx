import { useEffect } from 'react';
import { Navigate, Outlet, useLocation, useNavigate } from 'react-router';
import { ApiError } from '../api/errors';
import { useMe } from '../api/hooks';
import { FullPage, Layout } from '../components/Layout';
import { ErrorNotice } from '../components/States';
import { NotCoachPage } from '../pages/NotCoachPage';
import { loginPath, takeRememberedNext } from './next';

/** Every dashboard page: only for a logged-in, allowlisted coach. */
export function RequireCoach() {
  const { data: coach, error, mutate } = useMe();
  const location = useLocation();
  const navigate = useNavigate();

  useEffect(() => {
    // Back from Discord (which lands on the root): resume where the coach was sent away.
    if (!coach) return;
    const next = takeRememberedNext();
    if (next && next !== location.pathname + location.search) navigate(next, { replace: true });
  }, [coach, location, navigate]);

  if (error instanceof ApiError && error.status === 401) {
    return <Navigate to={loginPath(location.pathname + location.search)} replace />;
  }
  if (error instanceof ApiError && error.status === 403) {
    return <NotCoachPage reason={error.message} />;
  }
  if (error && !coach) {
    return (
      <FullPage title="Battle Station">
        <ErrorNotice error={error} onRetry={() => void mutate()} />
      </FullPage>
    );
  }
  // The page renders while the session is still being checked, so its own requests go
  // out beside /auth/me instead of after it (the api refuses them all the same without
  // a session, and the 401 brings the coach to the login page).
  return (
    <Layout coach={coach}>
      <Outlet />
    </Layout>
  );
}
