import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { apiError, gate, mockApi } from '../../test/api';
import { COACH, rosterPage, summary } from '../../test/fixtures';
import { renderApp } from '../../test/render';

const rows = () => screen.queryAllByTestId('roster-row');

describe('the roster', () => {
  it('shows each client at a glance', async () => {
    const answer = gate();
    mockApi({
      'GET /auth/me': COACH,
      'GET /clients': () => answer.opened.then(() => rosterPage([summary()], 1000)),
    });
    renderApp('/');
    expect(await screen.findByText('Loading the roster…')).toBeVisible();
    answer.open();
    await waitFor(() => expect(rows()).toHaveLength(1));
    const row = within(rows()[0] as HTMLElement);
    expect(row.getByRole('link', { name: 'Priya Raman' })).toHaveAttribute('href', expect.stringMatching(/^\/clients\//));
    expect(row.getByText('Answered')).toBeVisible();
    expect(row.getByRole('img', { name: '3 of 5 done, 1 missed' })).toBeVisible();
    expect(row.getByRole('img', { name: /^Daily compliance: .*75%/ })).toBeVisible();
    expect(row.getByText('75%')).toBeVisible();
    expect(row.getByText('1 high')).toBeVisible();
    expect(row.getByText('2 low')).toBeVisible();
    expect(row.getByText('Asia/Kolkata')).toBeVisible();
    expect(screen.getByText('1,000 clients')).toBeVisible();
    expect(screen.getByText('1–50 of 1,000')).toBeVisible();
  });

  it('says when no client matches', async () => {
    mockApi({ 'GET /auth/me': COACH, 'GET /clients': rosterPage([]) });
    renderApp('/?status=paused');
    expect(await screen.findByText('No client matches these filters.')).toBeVisible();
  });

  it('says when there are no clients at all', async () => {
    mockApi({ 'GET /auth/me': COACH, 'GET /clients': rosterPage([]) });
    renderApp('/');
    expect(await screen.findByText(/^No clients yet/)).toBeVisible();
  });

  it('shows a failure and tries again on request', async () => {
    let attempts = 0;
    mockApi({
      'GET /auth/me': COACH,
      'GET /clients': () => {
        attempts += 1;
        return attempts === 1 ? apiError(503, 'database_unavailable', 'The database is unavailable right now.') : rosterPage([summary()]);
      },
    });
    renderApp('/');
    expect(await screen.findByRole('alert')).toHaveTextContent('The database is unavailable right now.');
    await userEvent.click(screen.getByRole('button', { name: 'Try again' }));
    await waitFor(() => expect(rows()).toHaveLength(1));
  });

  it('shows a rate limit with when to try again, not an empty roster', async () => {
    mockApi({
      'GET /auth/me': COACH,
      'GET /clients': apiError(429, 'rate_limited', 'Too many requests; slow down.', { 'Retry-After': '30' }),
    });
    renderApp('/');
    const alerts = () => screen.queryAllByRole('alert').map((alert) => alert.textContent).join(' ');
    await waitFor(() => expect(alerts()).toMatch(/Too many requests; slow down\. Try again in 30 s\./));
    // And the banner, which any request's 429 raises, even a background refresh's.
    expect(alerts()).toMatch(/can ask the server again in 30 s/);
    expect(screen.getByRole('button', { name: 'Try again' })).toBeDisabled();
    expect(rows()).toHaveLength(0);
  });

  it('asks the api for what the filters, search, sort and page say', async () => {
    const api = mockApi({
      'GET /auth/me': COACH,
      'GET /clients': (call) => rosterPage([summary()], 120, Number(call.query.get('offset'))),
    });
    const user = userEvent.setup();
    renderApp('/');
    await waitFor(() => expect(rows()).toHaveLength(1));
    const last = () => api.to('GET', '/clients').at(-1)?.query;

    await user.click(screen.getByRole('checkbox', { name: 'High' }));
    await waitFor(() => expect(last()?.getAll('flag_severity')).toEqual(['high']));
    await user.click(screen.getByRole('checkbox', { name: 'Paused' }));
    await waitFor(() => expect(last()?.getAll('status')).toEqual(['paused']));
    await user.type(screen.getByRole('searchbox', { name: 'Search' }), 'pri');
    await waitFor(() => expect(last()?.get('q')).toBe('pri'));
    await user.selectOptions(screen.getByLabelText('Sort'), 'Quietest first');
    await waitFor(() => expect([last()?.get('sort'), last()?.get('order')]).toEqual(['last_activity', 'asc']));
    await user.type(screen.getByLabelText('Time zone'), 'Asia/Kolkata');
    await waitFor(() => expect(last()?.getAll('time_zone')).toEqual(['Asia/Kolkata']));

    await user.click(await screen.findByRole('button', { name: 'Next' }));
    await waitFor(() => expect(last()?.get('offset')).toBe('50'));
    // Everything is in the address, for the back button and a shared link.
    expect(screen.getByTestId('location').textContent).toBe(
      '/?q=pri&status=paused&severity=high&tz=Asia%2FKolkata&sort=last_activity%3Aasc&page=2',
    );
  });

  it('renders names as text, never as markup', async () => {
    mockApi({
      'GET /auth/me': COACH,
      'GET /clients': rosterPage([summary({ display_name: '<img src=x onerror="window.__xss=1">' })]),
    });
    const { container } = renderApp('/');
    expect(await screen.findByRole('link', { name: '<img src=x onerror="window.__xss=1">' })).toBeVisible();
    expect(container.querySelector('img')).toBeNull();
    expect((window as { __xss?: unknown }).__xss).toBeUndefined();
  });
});
