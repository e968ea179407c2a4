import type { ErrorDetail, ErrorResponse } from './types';

/** A failed call, whatever failed: the api's error shape, a bare status, or the network. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: ErrorDetail[];
  /** Seconds to wait before trying again (429, from Retry-After). */
  readonly retryAfter: number | null;
  /** When trying again makes sense (epoch ms), fixed when the answer arrived. */
  readonly retryAt: number | null;

  constructor(
    status: number,
    code: string,
    message: string,
    details: ErrorDetail[] = [],
    retryAfter: number | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
    this.retryAfter = retryAfter;
    this.retryAt = retryAfter === null ? null : Date.now() + retryAfter * 1000;
  }
}

function isErrorResponse(body: unknown): body is ErrorResponse {
  if (typeof body !== 'object' || body === null || !('error' in body)) return false;
  const { error } = body;
  return typeof error === 'object' && error !== null && 'message' in error && 'code' in error;
}

/** Retry-After is either delta-seconds or an HTTP date. */
export function parseRetryAfter(header: string | null, now = Date.now()): number | null {
  if (header === null || header.trim() === '') return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds));
  const at = Date.parse(header);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - now) / 1000));
}

export function errorFromResponse(response: Response, body: unknown): ApiError {
  const retryAfter = parseRetryAfter(response.headers.get('Retry-After'));
  if (isErrorResponse(body)) {
    const { code, message, details } = body.error;
    return new ApiError(response.status, code, message, details ?? [], retryAfter);
  }
  // Not the api's shape: a proxy's page, or the api unreachable behind the proxy.
  const message =
    response.status === 429
      ? 'Too many requests.'
      : `The server answered ${response.status} ${response.statusText}`.trim() + '.';
  return new ApiError(response.status, 'http_error', message, [], retryAfter);
}

export function networkError(cause: unknown): ApiError {
  const error = new ApiError(0, 'network', 'Cannot reach Battle Station’s server; check your connection.');
  error.cause = cause;
  return error;
}
