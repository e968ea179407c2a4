import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { apiError, mockApi, reply } from '../../test/api';
import { COACH, rosterPage, summary } from '../../test/fixtures';
import { renderApp } from '../../test/render';

const location = () => screen.getByTestId('location').textContent;

describe('the session', () => {
  it('sends a visitor without a session to the login page, remembering where they were', async () => {
    mockApi({ 'GET /auth/me': apiError(401, 'not_authenticated', 'Log in with Discord.') });
    renderApp('/flags');
    const login = await screen.findByRole('link', { name: 'Log in with Discord' });
    expect(login).toHaveAttribute('href', '/api/auth/login');
    expect(location()).toBe('/login?next=%2Fflags');
    // jsdom cannot follow a real page visit; the app's own click handler still runs.
    login.addEventListener('click', (event) => event.preventDefault());
    await userEvent.click(login);
    expect(sessionStorage.getItem('battle-station:next')).toBe('/flags');
  });

  it('leaves for the login page when any call answers 401 mid-visit', async () => {
    mockApi({
      'GET /auth/me': COACH,
      'GET /clients': apiError(401, 'session_expired', 'Your session has expired; log in again.'),
    });
    renderApp('/?severity=high');
    await screen.findByRole('link', { name: 'Log in with Discord' });
    expect(location()).toBe('/login?next=%2F%3Fseverity%3Dhigh');
  });

  it('says why Discord sent the browser back without a session', async () => {
    mockApi({ 'GET /auth/me': apiError(401, 'not_authenticated', 'Log in with Discord.') });
    renderApp('/login?error=not_a_coach');
    expect(await screen.findByRole('alert')).toHaveTextContent('not a coach here');
    renderApp('/login?error=%3Cimg%20src%3Dx%3E');
    expect(await screen.findByText(/did not complete \(<img src=x>\)/)).toBeVisible();
  });

  it('logs in with the dev login when running locally', async () => {
    let loggedIn = false;
    const api = mockApi({
      'GET /auth/me': () => (loggedIn ? COACH : apiError(401, 'not_authenticated', 'Log in.')),
      'POST /auth/dev-login': () => {
        loggedIn = true;
        return COACH;
      },
      'GET /lst': { engines: [] },
      'GET /schedule/upcoming': rosterPage([]),
    });
    renderApp('/login?next=%2Fschedule');
    await userEvent.click(await screen.findByRole('button', { name: 'Dev login (local only)' }));
    await waitFor(() => expect(location()).toBe('/schedule'));
    expect(await screen.findByText('Coach Kim')).toBeVisible();
    expect(api.to('POST', '/auth/dev-login')).toHaveLength(1);
  });

  it('brings the coach back to the page they were sent away from', async () => {
    sessionStorage.setItem('battle-station:next', '/schedule');
    mockApi({ 'GET /auth/me': COACH, 'GET /lst': { engines: [] }, 'GET /schedule/upcoming': rosterPage([]) });
    renderApp('/');
    await waitFor(() => expect(location()).toBe('/schedule'));
    expect(sessionStorage.getItem('battle-station:next')).toBeNull();
  });

  it('shows a Discord account that is not a coach why it cannot come in', async () => {
    const api = mockApi({
      'GET /auth/me': apiError(403, 'not_a_coach', 'Discord user 42 is not one of this practice’s coaches.'),
      'POST /auth/logout': reply(204),
    });
    renderApp('/');
    expect(await screen.findByRole('heading', { name: 'This account is not a coach here' })).toBeVisible();
    expect(screen.getByText('Discord user 42 is not one of this practice’s coaches.')).toBeVisible();
    await userEvent.click(screen.getByRole('button', { name: 'Log out' }));
    await waitFor(() => expect(location()).toBe('/login'));
    expect(api.to('POST', '/auth/logout')).toHaveLength(1);
  });

  it('logs out from the dashboard', async () => {
    const api = mockApi({
      'GET /auth/me': COACH,
      'GET /clients': rosterPage([summary()]),
      'POST /auth/logout': reply(204),
    });
    renderApp('/');
    expect(await screen.findByText('Coach Kim')).toBeVisible();
    await userEvent.click(screen.getByRole('button', { name: 'Log out' }));
    await screen.findByRole('link', { name: 'Log in with Discord' });
    expect(api.to('POST', '/auth/logout')).toHaveLength(1);
  });

  it('says so when the server cannot be reached', async () => {
    mockApi({ 'GET /auth/me': () => Promise.reject(new TypeError('Failed to fetch')) });
    renderApp('/');
    expect(await screen.findByRole('alert')).toHaveTextContent('Cannot reach Battle Station’s server');
  });
});
