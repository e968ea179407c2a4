import { describe, expect, it } from 'vitest';
import { errorFromResponse, parseRetryAfter } from './errors';

describe('Retry-After', () => {
  it('reads seconds', () => {
    expect(parseRetryAfter('42')).toBe(42);
  });

  it('reads an HTTP date as the seconds until then', () => {
    const now = Date.parse('2026-11-26T10:00:00Z');
    expect(parseRetryAfter('Thu, 26 Nov 2026 10:01:30 GMT', now)).toBe(90);
  });

  it('has nothing to say when absent or unreadable', () => {
    expect(parseRetryAfter(null)).toBeNull();
    expect(parseRetryAfter('soon')).toBeNull();
  });
});

describe('an error answer', () => {
  it('keeps the api’s code, message and field details', () => {
    const body = {
      error: {
        code: 'validation_error',
        message: 'Invalid request: body.targets.kcal: too big',
        details: [{ field: 'body.targets.kcal', message: 'too big', type: 'less_than_equal' }],
      },
    };
    const error = errorFromResponse(new Response(null, { status: 422 }), body);
    expect([error.status, error.code, error.message]).toEqual([422, 'validation_error', body.error.message]);
    expect(error.details).toHaveLength(1);
  });

  it('says what happened when a proxy, not the api, answered', () => {
    const error = errorFromResponse(new Response('<html>Bad gateway</html>', { status: 502, statusText: 'Bad Gateway' }), '<html>');
    expect(error.message).toBe('The server answered 502 Bad Gateway.');
  });

  it('knows when to try again after a 429', () => {
    const error = errorFromResponse(new Response(null, { status: 429, headers: { 'Retry-After': '12' } }), undefined);
    expect(error.retryAfter).toBe(12);
    expect(error.retryAt).toBeGreaterThan(Date.now() + 11_000);
  });
});
