import createClient from 'openapi-fetch';
import { errorFromResponse, networkError } from './errors';
import { reportAnswered, reportRateLimit } from './rateLimit';
import type { paths } from './schema';

/** Typed by the generated `paths`: a wrong path, parameter or body does not compile. */
export const api = createClient<paths>({
  baseUrl: `${window.location.origin}/api`,
  credentials: 'same-origin',
  // Looked up on every call rather than captured once, so tests can stub fetch.
  fetch: (request) => globalThis.fetch(request),
});

let onUnauthorized: () => void = () => undefined;

/** What to do when the session is missing or over (a 401 from any call). */
export function setUnauthorizedHandler(handler: () => void): () => void {
  onUnauthorized = handler;
  return () => {
    onUnauthorized = () => undefined;
  };
}

interface Outcome<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The call's data, or an ApiError; a 401 also leaves for the login, a 429 is reported. */
export async function call<T>(request: Promise<Outcome<T>>): Promise<T> {
  const sentAt = Date.now();
  let outcome: Outcome<T>;
  try {
    outcome = await request;
  } catch (cause) {
    throw networkError(cause);
  }
  const { data, error, response } = outcome;
  if (response.ok) {
    reportAnswered(sentAt);
    return data as T;
  }
  const failure = errorFromResponse(response, error);
  if (failure.status === 401) onUnauthorized();
  if (failure.status === 429) reportRateLimit(failure.retryAt);
  throw failure;
}
