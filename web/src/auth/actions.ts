import { useCallback } from 'react';
import { useSWRConfig } from 'swr';
import { useNavigate } from 'react-router';
import { api, call } from '../api/client';

/** Forget every cached answer: the next coach must not see this one's data. */
export function useClearCache() {
  const { mutate } = useSWRConfig();
  return useCallback(() => mutate(() => true, undefined, { revalidate: false }), [mutate]);
}

export function useLogout() {
  const clearCache = useClearCache();
  const navigate = useNavigate();
  return async () => {
    await call(api.POST('/auth/logout'));
    await clearCache();
    navigate('/login', { replace: true });
  };
}
