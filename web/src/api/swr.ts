import type { SWRConfiguration } from 'swr';
import { ApiError } from './errors';

/** Retry what retrying can fix: a 429 once its Retry-After has passed, the network and
 * 5xx a few times with backoff; never another 4xx (the request itself is refused). */
const retryPolicy: SWRConfiguration['onErrorRetry'] = (
  error,
  _key,
  _config,
  revalidate,
  { retryCount },
) => {
  if (!(error instanceof ApiError)) return;
  if (error.status === 429) {
    setTimeout(() => void revalidate({ retryCount }), (error.retryAfter ?? 60) * 1000);
    return;
  }
  if ((error.status >= 400 && error.status < 500) || retryCount > 3) return;
  setTimeout(() => void revalidate({ retryCount }), 1000 * 2 ** retryCount);
};

export const swrConfig: SWRConfiguration = {
  onErrorRetry: retryPolicy,
  // Coming back to the tab refreshes, but at most every 30 s: the api's rate limit is
  // per IP, shared with every other coach in the same office.
  focusThrottleInterval: 30_000,
};
