import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { mockApi, reply } from '../../test/api';
import { COACH, HOSTILE } from '../../test/fixtures';
import { renderApp } from '../../test/render';

const STATUS = {
  services: [
    { service: 'api', alive: true, instance: 'vm:1', at: '2026-11-26T10:00:00Z', age_seconds: 3.2 },
    { service: 'bot', alive: false, instance: null, at: null, age_seconds: null },
  ],
  streams: [
    { stream: 'events', length: 120, groups: [{ name: 'api', consumers: 1, pending: 4, lag: 7, last_delivered_id: '1-0' }] },
    { stream: 'scans', length: 0, groups: [] },
  ],
  dead_letters: 1,
};

const LETTER = {
  id: '1764144000000-0',
  stream: 'events',
  group: 'api',
  original_id: '1764143000000-0',
  type: 'checkin.answered',
  error: 'invalid message: type is not known',
  deliveries: 1,
  dead_lettered_at: '2026-11-26T10:00:00Z',
  data: HOSTILE,
};

const HEALTHY = { status: 'ok', postgres: { status: 'ok' }, redis: { status: 'ok' }, services: {} };

describe('the system page', () => {
  it('shows heartbeats, stream pending and lag', async () => {
    mockApi({
      'GET /auth/me': COACH,
      'GET /health': HEALTHY,
      'GET /system/status': STATUS,
      'GET /system/dead-letters': { items: [], total: 0, next_after: null },
    });
    renderApp('/system');
    const services = await screen.findByRole('region', { name: 'Services' });
    expect(await within(services).findByRole('row', { name: /api Alive 3\.2 s ago vm:1/ })).toBeVisible();
    expect(within(services).getByRole('row', { name: /bot No heartbeat/ })).toBeVisible();
    const streams = screen.getByRole('region', { name: 'Streams' });
    expect(within(streams).getByRole('row', { name: 'events 120 api 1 4 7' })).toBeVisible();
    expect(within(streams).getByRole('row', { name: /scans 0 No group yet/ })).toBeVisible();
    expect(screen.getByText('No dead letters: every message was handled.')).toBeVisible();
  });

  it('says which dependency is down (the api answers 503 with its health)', async () => {
    mockApi({
      'GET /auth/me': COACH,
      'GET /health': reply(503, { ...HEALTHY, status: 'degraded', postgres: { status: 'down', error: 'OSError' } }),
      'GET /system/status': STATUS,
      'GET /system/dead-letters': { items: [], total: 0, next_after: null },
    });
    renderApp('/system');
    const dependencies = await screen.findByRole('region', { name: 'Dependencies' });
    expect(await within(dependencies).findByText('Down')).toBeVisible();
    expect(within(dependencies).getByText('· OSError')).toBeVisible();
  });

  it('replays a dead letter, its message shown as text', async () => {
    let replayed = false;
    const api = mockApi({
      'GET /auth/me': COACH,
      'GET /health': HEALTHY,
      'GET /system/status': STATUS,
      'GET /system/dead-letters': () => (replayed ? { items: [], total: 0, next_after: null } : { items: [LETTER], total: 1, next_after: null }),
      'POST /system/dead-letters/:id/replay': () => {
        replayed = true;
        return { dead_letter_id: LETTER.id, stream: 'events', new_id: '1764145000000-0' };
      },
    });
    const { container } = renderApp('/system');
    const letter = await screen.findByTestId('dead-letter');
    expect(within(letter).getByText(HOSTILE)).toBeInTheDocument();
    expect(container.querySelector('.dead-letter img')).toBeNull();
    await userEvent.click(within(letter).getByRole('button', { name: 'Replay' }));
    expect(await screen.findByText(`Replayed ${LETTER.id}: back on events as 1764145000000-0.`)).toBeVisible();
    await waitFor(() => expect(screen.queryByTestId('dead-letter')).toBeNull());
    expect(api.to('POST', '/system/dead-letters/:id/replay')[0]?.path).toBe(`/system/dead-letters/${LETTER.id}/replay`);
  });
});
