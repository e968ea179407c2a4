import type { ReactNode } from 'react';
import type { SWRResponse } from 'swr';
import { ApiError } from '../api/errors';
import { useNow } from './useNow';

export function Loading({ what }: { what: string }) {
  return (
    <p className="state" role="status">
      <span className="spinner" aria-hidden="true" /> Loading {what}…
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="state empty">{children}</p>;
}

function asApiError(error: unknown): ApiError {
  return error instanceof ApiError ? error : new ApiError(0, 'unknown', String(error));
}

/** Seconds until `until` (epoch ms), ticking; 0 once it has passed. Its clock starts at
 * mount: key the component by `until` so a new deadline gets a fresh one. */
export function useSecondsLeft(until: number | null): number {
  const now = useNow(1000);
  return until === null ? 0 : Math.max(0, Math.ceil((until - now.getTime()) / 1000));
}

function RateLimited({ error, onRetry }: { error: ApiError; onRetry?: () => void }) {
  const left = useSecondsLeft(error.retryAt);
  return (
    <div className="notice error" role="alert">
      <p>
        <strong>Too many requests.</strong> {error.message}{' '}
        {left > 0 ? `Try again in ${left} s.` : 'You can try again now.'}
      </p>
      {onRetry && (
        <button type="button" onClick={onRetry} disabled={left > 0}>
          Try again
        </button>
      )}
    </div>
  );
}

export function ErrorNotice({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const failure = asApiError(error);
  if (failure.status === 429) {
    return <RateLimited key={failure.retryAt} error={failure} onRetry={onRetry} />;
  }
  return (
    <div className="notice error" role="alert">
      <p>
        <strong>{failure.status === 0 ? 'No connection.' : 'Something went wrong.'}</strong>{' '}
        {failure.message}
      </p>
      {onRetry && (
        <button type="button" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

interface ResourceProps<T> {
  result: Pick<SWRResponse<T>, 'data' | 'error' | 'mutate'>;
  /** What is loading, for "Loading …": "the roster". */
  what: string;
  /** The empty state, when `data` has nothing to show. */
  empty?: (data: T) => ReactNode | null;
  children: (data: T) => ReactNode;
}

/** A read's loading, error, empty and loaded states, the same way everywhere. */
export function Resource<T>({ result, what, empty, children }: ResourceProps<T>) {
  const { data, error, mutate } = result;
  const retry = () => void mutate();
  if (data === undefined) {
    return error ? <ErrorNotice error={error} onRetry={retry} /> : <Loading what={what} />;
  }
  const emptiness = empty?.(data);
  return (
    <>
      {/* Stale data stays on screen under the error of its failed refresh. */}
      {error ? <ErrorNotice error={error} onRetry={retry} /> : null}
      {emptiness ? <Empty>{emptiness}</Empty> : children(data)}
    </>
  );
}
