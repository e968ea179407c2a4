import { useSyncExternalStore } from 'react';

// Every 429 the api answers, wherever it happened (a background revalidation included),
// is shown in one banner with the time to wait, so a rate limit is never silent.
let until: number | null = null;
/** When the latest 429 arrived: only a request sent after it proves the limit passed. */
let limitedAt = 0;
const listeners = new Set<() => void>();

function emit(): void {
  for (const listener of listeners) listener();
}

/** The api said 429: nothing it asks will work until `retryAt` (epoch ms). */
export function reportRateLimit(retryAt: number | null): void {
  // Without Retry-After the api's limit is per minute: a minute is the safe guess.
  const next = retryAt ?? Date.now() + 60_000;
  until = Math.max(until ?? 0, next);
  limitedAt = Date.now();
  emit();
}

/** A request sent at `sentAt` went through: a limit reported before it has passed. */
export function reportAnswered(sentAt: number): void {
  if (until === null || sentAt < limitedAt) return;
  until = null;
  emit();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** When the rate limit ends (epoch ms), or null when none is known. */
export function useRateLimitedUntil(): number | null {
  return useSyncExternalStore(subscribe, () => until);
}
