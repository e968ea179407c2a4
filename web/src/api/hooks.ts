// One SWR hook per read the dashboard makes. Every key is `[operation id, ...arguments]`
// so a write can revalidate what it changed by operation id (see `useRevalidate`).
import useSWR, { useSWRConfig, type SWRConfiguration } from 'swr';
import { api, call } from './client';
import type { EntryKind, FlagsQuery, Health, RosterQuery } from './types';

const LIVE: SWRConfiguration = { refreshInterval: 10_000 };

export function useMe() {
  // Not retried: a 401 or 403 is the answer, and any other failure offers a retry button.
  return useSWR(['auth_me'], () => call(api.GET('/auth/me')), { shouldRetryOnError: false });
}

export function useRoster(query: RosterQuery) {
  return useSWR(['roster_list', query], () => call(api.GET('/clients', { params: { query } })), {
    // The previous page stays on screen while the next loads: no flash of emptiness.
    keepPreviousData: true,
  });
}

export function useClient(clientId: string) {
  return useSWR(['client_get', clientId], () =>
    call(api.GET('/clients/{client_id}', { params: { path: { client_id: clientId } } })),
  );
}

export function useCharts(clientId: string, days: number) {
  return useSWR(
    ['client_charts', clientId, days],
    () =>
      call(
        api.GET('/clients/{client_id}/charts', {
          params: { path: { client_id: clientId }, query: { days } },
        }),
      ),
    { keepPreviousData: true },
  );
}

export function useTimelinePage(clientId: string, kinds: EntryKind[], before: string | null) {
  return useSWR(['client_timeline', clientId, kinds, before], () =>
    call(
      api.GET('/clients/{client_id}/timeline', {
        params: {
          path: { client_id: clientId },
          query: { kind: kinds.length ? kinds : undefined, before: before ?? undefined, limit: 30 },
        },
      }),
    ),
  );
}

export function useFlags(query: FlagsQuery) {
  return useSWR(['flags_list', query], () => call(api.GET('/flags', { params: { query } })), {
    keepPreviousData: true,
  });
}

export function useClientSchedule(clientId: string) {
  return useSWR(['client_schedule_get', clientId], () =>
    call(api.GET('/clients/{client_id}/schedule', { params: { path: { client_id: clientId } } })),
  );
}

export function useClientDeliveries(clientId: string) {
  return useSWR(['deliveries_list', clientId], () =>
    call(api.GET('/deliveries', { params: { query: { client_id: clientId, limit: 10 } } })),
  );
}

export function useLst() {
  return useSWR(['lst_get'], () => call(api.GET('/lst')));
}

export function useUpcoming(limit: number, offset: number, engine: string | undefined) {
  return useSWR(
    ['upcoming_fires_list', limit, offset, engine],
    () => call(api.GET('/schedule/upcoming', { params: { query: { limit, offset, engine } } })),
    { keepPreviousData: true },
  );
}

export function useSystemStatus() {
  return useSWR(['system_status'], () => call(api.GET('/system/status')), LIVE);
}

/** /health answers 503 with the same body when a dependency is down: that is data here. */
export function useHealth() {
  return useSWR(['health'], fetchHealth, LIVE);
}

async function fetchHealth(): Promise<Health> {
  const request = api.GET('/health');
  const { response, error } = await request;
  if (response.status === 503 && error && 'postgres' in error) return error;
  return call(request);
}

export function useDeadLetters(after: string | null) {
  return useSWR(['dead_letters_list', after], () =>
    call(
      api.GET('/system/dead-letters', { params: { query: { after: after ?? undefined, limit: 20 } } }),
    ),
  );
}

/** Revalidate every cached read of these operations (after a write changed them). */
export function useRevalidate() {
  const { mutate } = useSWRConfig();
  return (...operations: string[]) =>
    mutate((key) => Array.isArray(key) && operations.includes(String(key[0])));
}
