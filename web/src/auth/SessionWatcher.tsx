import { useEffect, useRef } from 'react';
import { useLocation, useNavigate } from 'react-router';
import { setUnauthorizedHandler } from '../api/client';
import { useClearCache } from './actions';
import { loginPath } from './next';

/** Any 401, from any call, ends the visit: cache cleared, off to the login page, which
 * will bring the coach back here afterwards. */
export function SessionWatcher() {
  const navigate = useNavigate();
  const clearCache = useClearCache();
  const location = useLocation();
  const here = useRef('/');
  useEffect(() => {
    here.current = location.pathname + location.search;
  }, [location]);

  useEffect(
    () =>
      setUnauthorizedHandler(() => {
        if (here.current.startsWith('/login')) return;
        void clearCache();
        navigate(loginPath(here.current), { replace: true });
      }),
    [navigate, clearCache],
  );
  return null;
}
