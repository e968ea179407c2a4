import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { mockApi } from '../../test/api';
import { COACH } from '../../test/fixtures';
import { renderApp } from '../../test/render';
import type { Lst, UpcomingFire } from '../api/types';

const LST: Lst = {
  engines: [
    {
      id: 'checkin',
      description: 'Daily check-in',
      triggers: [
        {
          engine: 'checkin',
          trigger: 'morning_prompt',
          clock: 'client_local',
          at: '07:30:00',
          weekdays: ['mon'],
          on_event: null,
          when: '07:30 client-local, every day',
          emits: 'delivery.requested',
          delivery_kind: 'checkin_prompt',
          deadline: '12:00 same day',
          deadline_at: '12:00:00',
          deadline_minutes: null,
          missed_policy: 'mark_missed',
          missed_policy_meaning: 'the fire becomes missed',
          answered_by: 'checkin.answered',
          description: 'DM the check-in prompt',
        },
      ],
    },
  ],
};

const FIRE: UpcomingFire = {
  client_id: '0190d2c4-0000-7000-8000-000000000001',
  display_name: 'Priya Raman',
  time_zone: 'Asia/Kolkata',
  engine: 'checkin',
  trigger: 'morning_prompt',
  at: '2099-11-27T02:00:00Z',
  local: '2099-11-27T07:30:00+05:30',
  local_date: '2099-11-27',
};

describe('the schedule page', () => {
  it('shows each engine’s triggers and the fires coming up, in the client’s time', async () => {
    const api = mockApi({
      'GET /auth/me': COACH,
      'GET /lst': LST,
      'GET /schedule/upcoming': { items: [FIRE], total: 1, limit: 25, offset: 0 },
    });
    renderApp('/schedule');
    const engine = await screen.findByRole('region', { name: 'Engine: checkin' });
    expect(within(engine).getByText('07:30 client-local, every day')).toBeVisible();
    expect(within(engine).getByText('the fire becomes missed')).toBeVisible();
    const upcoming = screen.getByRole('region', { name: 'Coming up' });
    expect(await within(upcoming).findByText('Fri 27 Nov, 07:30')).toBeVisible();
    await userEvent.selectOptions(within(upcoming).getByLabelText('Engine'), 'checkin');
    await waitFor(() => expect(api.to('GET', '/schedule/upcoming').at(-1)?.query.get('engine')).toBe('checkin'));
  });

  it('says when nothing is planned', async () => {
    mockApi({ 'GET /auth/me': COACH, 'GET /lst': LST, 'GET /schedule/upcoming': { items: [], total: 0, limit: 25, offset: 0 } });
    renderApp('/schedule');
    expect(await screen.findByText('Nothing planned: no active client has a trigger coming up.')).toBeVisible();
  });
});
