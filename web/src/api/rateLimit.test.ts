import { act, renderHook } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { reportAnswered, reportRateLimit, useRateLimitedUntil } from './rateLimit';

describe('the rate limit everyone sees', () => {
  it('holds until a request sent after it goes through', () => {
    const { result } = renderHook(() => useRateLimitedUntil());
    const sentBefore = Date.now() - 1000;
    act(() => reportRateLimit(Date.now() + 30_000));
    expect(result.current).toBeGreaterThan(Date.now());
    // Sent before the 429, answered after it: says nothing about the limit now.
    act(() => reportAnswered(sentBefore));
    expect(result.current).not.toBeNull();
    act(() => reportAnswered(Date.now() + 1));
    expect(result.current).toBeNull();
  });
});
