import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { apiError, mockApi } from '../../test/api';
import { COACH, HOSTILE, flag, flagPage } from '../../test/fixtures';
import { renderApp } from '../../test/render';
import type { FlagView } from '../api/types';

const HIGH = flag();
const MEDIUM = flag({ id: 'f2', severity: 'medium', source: 'rules', code: 'GONE_QUIET', status: 'acknowledged', rationale: HOSTILE });

/** The inbox's three groups, each answered from its own severity's flags. */
function inbox(flags: FlagView[]) {
  return (call: { query: URLSearchParams }) => flagPage(flags.filter((f) => f.severity === call.query.get('severity')));
}

describe('the flags inbox', () => {
  it('groups unresolved flags by severity and marks who raised each', async () => {
    const api = mockApi({ 'GET /auth/me': COACH, 'GET /flags': inbox([HIGH, MEDIUM]) });
    renderApp('/flags');
    const high = await screen.findByRole('region', { name: 'High severity' });
    const card = await within(high).findByTestId('flag');
    expect(within(card).getByRole('heading', { name: 'Says nutrition is on track; logs disagree' })).toBeVisible();
    expect(within(card).getByText('AI')).toBeVisible();
    expect(within(card).getByText('Recon')).toBeVisible();
    expect(within(card).getByText('self-report')).toBeVisible();
    expect(within(card).getByText('(target 1,700)')).toBeVisible();
    expect(within(card).getByRole('link', { name: 'Priya Raman' })).toBeVisible();

    const medium = screen.getByRole('region', { name: 'Medium severity' });
    expect(await within(medium).findByText('Rules')).toBeVisible();
    expect(within(medium).getByText(HOSTILE)).toBeVisible();
    expect(within(screen.getByRole('region', { name: 'Low severity' })).getByText('No low flags for these filters.')).toBeVisible();
    expect(api.to('GET', '/flags')[0]?.query.getAll('status')).toEqual(['open', 'acknowledged']);
  });

  it('acknowledges a flag', async () => {
    let acknowledged = false;
    const api = mockApi({
      'GET /auth/me': COACH,
      'GET /flags': (call) => inbox([acknowledged ? { ...HIGH, status: 'acknowledged' } : HIGH])(call),
      'POST /flags/:id/acknowledge': () => {
        acknowledged = true;
        return { ...HIGH, status: 'acknowledged' };
      },
    });
    renderApp('/flags');
    await userEvent.click(await screen.findByRole('button', { name: 'Acknowledge' }));
    expect(await screen.findByText('Acknowledged', { selector: '.badge' })).toBeVisible();
    expect(api.to('POST', '/flags/:id/acknowledge')[0]?.path).toBe(`/flags/${HIGH.id}/acknowledge`);
  });

  it('resolves a flag only with a note', async () => {
    const api = mockApi({
      'GET /auth/me': COACH,
      'GET /flags': inbox([HIGH]),
      'POST /flags/:id/resolve': { ...HIGH, status: 'resolved', status_note: 'Called them.' },
    });
    const user = userEvent.setup();
    renderApp('/flags');
    await user.click(await screen.findByRole('button', { name: 'Resolve…' }));
    await user.click(screen.getByRole('button', { name: 'Resolve' }));
    expect(screen.getByLabelText('Resolution note')).toHaveAccessibleDescription('Say what was done, for the record.');
    expect(api.to('POST', '/flags/:id/resolve')).toHaveLength(0);
    await user.type(screen.getByLabelText('Resolution note'), 'Called them.');
    await user.click(screen.getByRole('button', { name: 'Resolve' }));
    await waitFor(() => expect(api.to('POST', '/flags/:id/resolve')[0]?.body).toEqual({ note: 'Called them.' }));
  });

  it('shows why an action was refused', async () => {
    mockApi({
      'GET /auth/me': COACH,
      'GET /flags': inbox([HIGH]),
      'POST /flags/:id/acknowledge': apiError(409, 'flag_resolved', 'This flag is already resolved.'),
    });
    renderApp('/flags');
    await userEvent.click(await screen.findByRole('button', { name: 'Acknowledge' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('This flag is already resolved.');
  });

  it('narrows to a week and a source, and re-scans everyone for that week', async () => {
    const api = mockApi({
      'GET /auth/me': COACH,
      'GET /flags': inbox([]),
      'POST /flags/scan': { message_id: 'm1', iso_week: '2026-W47', client_id: null },
    });
    const user = userEvent.setup();
    renderApp('/flags');
    await screen.findAllByText(/No high flags/);
    // A week input types as text in jsdom; the value is the ISO week either way.
    await user.type(screen.getByLabelText(/^Week/), '2026-W47');
    await user.selectOptions(screen.getByLabelText('Raised by'), 'AI');
    await waitFor(() => {
      const last = api.to('GET', '/flags').at(-1)?.query;
      expect([last?.get('week'), last?.get('source')]).toEqual(['2026-W47', 'dspy']);
    });
    await user.click(screen.getByRole('button', { name: 'Re-scan everyone (2026-W47)' }));
    expect(await screen.findByText(/Scan of 2026-W47 queued/)).toBeVisible();
    expect(api.to('POST', '/flags/scan')[0]?.body).toEqual({ iso_week: '2026-W47' });
  });
});
