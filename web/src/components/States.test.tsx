import { act, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../api/errors';
import { ErrorNotice } from './States';

describe('a rate-limited request', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('counts down to when it can be tried again', () => {
    vi.useFakeTimers();
    const retry = vi.fn();
    render(<ErrorNotice error={new ApiError(429, 'rate_limited', 'Slow down.', [], 3)} onRetry={retry} />);
    expect(screen.getByRole('alert')).toHaveTextContent('Too many requests. Slow down. Try again in 3 s.');
    expect(screen.getByRole('button', { name: 'Try again' })).toBeDisabled();
    act(() => vi.advanceTimersByTime(3000));
    expect(screen.getByRole('alert')).toHaveTextContent('You can try again now.');
    expect(screen.getByRole('button', { name: 'Try again' })).toBeEnabled();
  });
});
