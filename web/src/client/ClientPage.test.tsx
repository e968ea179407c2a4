import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { apiError, gate, mockApi, reply, type Call } from '../../test/api';
import {
  COACH,
  HOSTILE,
  clientSchedule,
  delivery,
  detail,
  flag,
  flagPage,
  lst,
  meal,
  profile,
  scheduleEntry,
} from '../../test/fixtures';
import { renderApp } from '../../test/render';
import type { ClientProfile, ClientStatus, OverrideRequest, ScheduleEntry, TimelineEntry } from '../api/types';

// Canvas is not in jsdom: the chart itself is stood in for; its data and text are real.
vi.mock('../charts/UPlotChart', () => ({
  UPlotChart: ({ data }: { data: unknown[][] }) => <div data-testid="canvas">{data[0]?.length} points</div>,
}));

const ID = profile().id;
const PATH = `/clients/${ID}`;

const CHARTS = {
  client_id: ID,
  today: '2026-11-26',
  weight: [{ local_date: '2026-11-20', weight_kg: 74.2, moving_average_7d: 74.3 }],
  adherence: [{ local_date: '2026-11-25', due: 4, done: 3, rate: 0.75 }],
  nutrition: [{ local_date: '2026-11-25', meals: 0, kcal: null, protein_g: null, target_kcal: 1700, target_protein_g: 120 }],
};

const SCHEDULE = clientSchedule([scheduleEntry()]);

function timeline(items: TimelineEntry[], next: string | null = null) {
  return { items, total: items.length, next_before: next };
}

function routes(overrides: Record<string, unknown> = {}, client: Partial<ClientProfile> = {}) {
  return mockApi({
    'GET /auth/me': COACH,
    'GET /clients/:id': detail(client),
    'GET /clients/:id/charts': CHARTS,
    'GET /clients/:id/timeline': timeline([meal()]),
    'GET /clients/:id/schedule': SCHEDULE,
    'GET /lst': lst(),
    'GET /flags': flagPage([flag()]),
    'GET /deliveries': { items: [delivery()], total: 1, limit: 10, offset: 0 },
    ...overrides,
  });
}

const panel = (name: string) => screen.getByRole('region', { name });

describe('the client page', () => {
  it('shows who the client is and how they are doing', async () => {
    routes();
    renderApp(PATH);
    expect(await screen.findByRole('heading', { level: 1, name: 'Priya Raman' })).toBeVisible();
    expect(screen.getByText('85%')).toBeVisible(); // 28 days
    expect(screen.getByText(/Asia\/Kolkata/, { selector: 'p' })).toBeVisible();
  });

  it('draws each chart with a summary, and says when there is nothing to draw', async () => {
    routes();
    renderApp(PATH);
    const trends = await screen.findByRole('region', { name: 'Trends' });
    await waitFor(() => expect(within(trends).getAllByTestId('chart')).toHaveLength(4));
    expect(within(trends).getAllByTestId('canvas')).toHaveLength(2);
    expect(within(trends).getByText(/^1 weigh-ins\. Latest 74\.2 kg/)).toBeVisible();
    expect(within(trends).getAllByText('Nothing logged in this period.')).toHaveLength(2);
  });

  it('asks for a longer period of charts', async () => {
    const api = routes();
    renderApp(PATH);
    await userEvent.selectOptions(await screen.findByLabelText('Period'), 'Last 90 days');
    await waitFor(() => expect(api.to('GET', '/clients/:id/charts').at(-1)?.query.get('days')).toBe('90'));
  });

  it('lists the schedule and the next fires on the client’s clock', async () => {
    routes();
    renderApp(PATH);
    const next = await screen.findByRole('region', { name: 'Schedule' });
    expect(await within(next).findByText('Fri 27 Nov, 07:30')).toBeVisible();
    expect(within(next).getByText('· answer by Fri 27 Nov, 12:00')).toBeVisible();
    expect(within(next).getByText('Times on the client’s clock, Asia/Kolkata')).toBeVisible();
    const row = within(next).getByRole('row', { name: /Morning prompt/ });
    expect(within(row).getByText('Every day')).toBeVisible();
    expect(within(row).queryByText('Custom')).toBeNull();
  });

  it('offers the export as JSON and CSV downloads', async () => {
    routes();
    renderApp(PATH);
    await screen.findByRole('region', { name: 'Export' });
    expect(screen.getByRole('link', { name: 'JSON' })).toHaveAttribute('href', `/api/clients/${ID}/export.json`);
    expect(screen.getByRole('link', { name: 'CSV (zip)' })).toHaveAttribute('href', `/api/clients/${ID}/export.zip`);
  });

  it('says so when there is no such client', async () => {
    routes({ 'GET /clients/:id': apiError(404, 'client_not_found', 'There is no client with id x.') });
    renderApp(PATH);
    expect(await screen.findByRole('alert')).toHaveTextContent('There is no client with id x.');
  });
});

describe('editing profile and targets', () => {
  it('points at what is wrong and sends nothing', async () => {
    const api = routes();
    const user = userEvent.setup();
    renderApp(PATH);
    const calories = await screen.findByLabelText('Calories (kcal)');
    await user.clear(calories);
    await user.type(calories, 'lots');
    await user.click(screen.getByRole('button', { name: 'Save changes' }));
    expect(calories).toHaveAttribute('aria-invalid', 'true');
    expect(calories).toHaveAccessibleDescription('A whole number, please.');
    expect(calories).toHaveFocus();
    expect(api.to('PATCH', '/clients/:id')).toHaveLength(0);
  });

  it('saves only the changes and says so', async () => {
    const api = routes({
      'PATCH /clients/:id': (call: { body: unknown }) => ({ ...profile(), ...(call.body as object) }),
    });
    const user = userEvent.setup();
    renderApp(PATH);
    const name = await screen.findByLabelText('Name');
    await user.clear(name);
    await user.type(name, 'Priya R.');
    await user.click(screen.getByRole('button', { name: 'Save changes' }));
    expect(await screen.findByText('Saved.')).toBeVisible();
    expect(api.to('PATCH', '/clients/:id')[0]?.body).toEqual({ display_name: 'Priya R.' });
  });

  it('puts the api’s field errors on the fields', async () => {
    routes({
      'PATCH /clients/:id': reply(422, {
        error: {
          code: 'validation_error',
          message: 'Invalid request: body.time_zone: not a known time zone',
          details: [{ field: 'body.time_zone', message: 'not a known time zone', type: 'value_error' }],
        },
      }),
    });
    const user = userEvent.setup();
    renderApp(PATH);
    const zone = await screen.findByLabelText('Time zone');
    await user.clear(zone);
    await user.type(zone, 'Europe/Kyiv');
    await user.click(screen.getByRole('button', { name: 'Save changes' }));
    await waitFor(() => expect(zone).toHaveAccessibleDescription(/not a known time zone/));
    expect(screen.getByRole('alert')).toHaveTextContent('Invalid request');
  });
});

describe('sending a message', () => {
  it('needs some text', async () => {
    const api = routes();
    renderApp(PATH);
    await userEvent.click(await screen.findByRole('button', { name: 'Send' }));
    expect(screen.getByText('Write something to send.')).toBeVisible();
    expect(api.to('POST', '/clients/:id/messages')).toHaveLength(0);
  });

  it('queues it and shows the delivery, text as typed', async () => {
    let sent = false;
    const api = routes({
      'POST /clients/:id/messages': () => {
        sent = true;
        return reply(202, delivery({ text: HOSTILE }));
      },
      'GET /deliveries': () => ({ items: sent ? [delivery({ text: HOSTILE })] : [], total: sent ? 1 : 0, limit: 10, offset: 0 }),
    });
    const user = userEvent.setup();
    const { container } = renderApp(PATH);
    await user.type(await screen.findByLabelText('Message (sent as a Discord DM)'), HOSTILE.replaceAll('{', '{{').replaceAll('[', '[['));
    await user.click(screen.getByRole('button', { name: 'Send' }));
    expect(await screen.findByText('Queued: it shows under deliveries below.')).toBeVisible();
    expect(api.to('POST', '/clients/:id/messages')[0]?.body).toEqual({ text: HOSTILE });
    const deliveries = panel('Deliveries');
    expect(await within(deliveries).findByText(HOSTILE)).toBeVisible();
    expect(container.querySelector('[data-testid=delivery] img, script')).toBeNull();
  });

  it('cannot message a paused client', async () => {
    routes({}, { status: 'paused' });
    renderApp(PATH);
    expect(await screen.findByRole('button', { name: 'Send' })).toBeDisabled();
    expect(screen.getByText(/Priya Raman is paused/)).toBeVisible();
  });
});

describe('the timeline', () => {
  it('shows a meal’s photo, and client text as text', async () => {
    routes({
      'GET /clients/:id/timeline': timeline([
        meal({ description: HOSTILE, photo_url: 'https://cdn.example/meal.jpg' }),
        meal({ id: 'm2', description: 'Toast', photo_url: 'javascript:alert(1)' }),
        { kind: 'checkin', id: 'c1', at: '2026-11-26T02:00:00Z', local_date: '2026-11-26', weight_kg: 74.2, sleep_hours: 7, energy: 6, notes: HOSTILE },
      ]),
    });
    renderApp(PATH);
    const timelineRegion = await screen.findByRole('region', { name: 'Timeline' });
    const photo = await within(timelineRegion).findByRole('img', { name: `Photo of the meal: ${HOSTILE}` });
    expect(photo).toHaveAttribute('src', 'https://cdn.example/meal.jpg');
    // The javascript: URL does not become an image; the markup stays text.
    expect(within(timelineRegion).getAllByRole('img')).toHaveLength(1);
    expect(within(timelineRegion).getAllByText(HOSTILE)).toHaveLength(2);
    expect((window as { __xss?: unknown }).__xss).toBeUndefined();
  });

  it('says when nothing was recorded', async () => {
    routes({ 'GET /clients/:id/timeline': timeline([]) });
    renderApp(PATH);
    expect(await screen.findByText('Nothing recorded yet.')).toBeVisible();
  });

  it('loads older entries from the cursor the api gave', async () => {
    const api = routes({
      'GET /clients/:id/timeline': (call: { query: URLSearchParams }) =>
        call.query.get('before') === 'cursor-1'
          ? timeline([meal({ id: 'older', description: 'Older meal' })])
          : timeline([meal()], 'cursor-1'),
    });
    renderApp(PATH);
    await userEvent.click(await screen.findByRole('button', { name: 'Show older' }));
    expect(await screen.findByText('Older meal')).toBeVisible();
    expect(screen.getByText('Masala dosa')).toBeVisible();
    expect(api.to('GET', '/clients/:id/timeline').map((c) => c.query.get('before'))).toContain('cursor-1');
  });
});

/** A client whose status the page can change: the status PUT answers as the api would
 * (unless `answer` says otherwise, after `hold` if given) and later reads see the change. */
function withStatus(initial: ClientStatus, options: { answer?: (call: Call) => unknown; hold?: Promise<void> } = {}) {
  let status = initial;
  return routes({
    'GET /clients/:id': () => detail({ status }),
    'GET /clients/:id/schedule': () =>
      clientSchedule([scheduleEntry({ next_fire: status === 'active' ? scheduleEntry().next_fire : null })], {
        status,
        fires: status === 'active',
      }),
    'PUT /clients/:id/status': async (call: Call) => {
      await options.hold;
      if (options.answer) return options.answer(call);
      status = (call.body as { status: ClientStatus }).status;
      return profile({ status });
    },
  });
}

describe('the client’s status', () => {
  it('pauses an active client, says what that means, and the page follows', async () => {
    const held = gate();
    const api = withStatus('active', { hold: held.opened });
    const user = userEvent.setup();
    renderApp(PATH);
    const status = await screen.findByRole('region', { name: 'Coaching status' });
    expect(within(status).getByText(/^Gets their scheduled DMs/)).toBeVisible();
    const pause = within(status).getByRole('button', { name: 'Pause' });
    expect(pause).toHaveAccessibleDescription(/Pausing stops every DM until you reactivate them\. Reactivating resumes their schedule/);
    await screen.findByText('Fri 27 Nov, 07:30');
    const schedulesRead = api.to('GET', '/clients/:id/schedule').length;

    await user.click(pause);
    expect(within(status).getByRole('button', { name: 'Pausing…' })).toBeDisabled();
    expect(within(status).getByRole('button', { name: 'Archive…' })).toBeDisabled();
    held.open();
    expect(await within(status).findByText('Paused: Priya Raman gets no DMs until you reactivate them.')).toBeVisible();
    expect(api.to('PUT', '/clients/:id/status')[0]?.body).toEqual({ status: 'paused' });
    expect(within(status).getByText(/^No DMs are sent while paused/)).toBeVisible();
    expect(within(status).getByRole('button', { name: 'Reactivate' })).toHaveFocus();
    // The rest of the page follows at once, and the schedule is read again.
    expect(screen.getByRole('button', { name: 'Send' })).toBeDisabled();
    expect(await screen.findByText(/Only active clients get scheduled messages; this client is paused/)).toBeVisible();
    expect(api.to('GET', '/clients/:id/schedule').length).toBeGreaterThan(schedulesRead);
  });

  it('reactivates a paused client, whose schedule resumes', async () => {
    const api = withStatus('paused');
    const user = userEvent.setup();
    renderApp(PATH);
    const status = await screen.findByRole('region', { name: 'Coaching status' });
    expect(within(status).getByText(/^No DMs are sent while paused/)).toBeVisible();
    expect(within(status).getByText(/^Reactivating resumes their schedule, custom times included/)).toBeVisible();
    expect(within(status).queryByRole('button', { name: 'Pause' })).toBeNull();

    await user.click(within(status).getByRole('button', { name: 'Reactivate' }));
    expect(await within(status).findByText('Reactivated: Priya Raman’s schedule resumes from now.')).toBeVisible();
    expect(api.to('PUT', '/clients/:id/status')[0]?.body).toEqual({ status: 'active' });
    expect(screen.getByRole('button', { name: 'Send' })).toBeEnabled();
    expect(await screen.findByText('Fri 27 Nov, 07:30')).toBeVisible();
  });

  it('asks before archiving, and archives only once confirmed', async () => {
    const api = withStatus('active');
    const user = userEvent.setup();
    renderApp(PATH);
    const status = await screen.findByRole('region', { name: 'Coaching status' });
    await user.click(within(status).getByRole('button', { name: 'Archive…' }));
    const question = within(status).getByRole('group', { name: /^Archive Priya Raman\?/ });
    expect(document.activeElement).toHaveTextContent(/^Archive Priya Raman\? Coaching ends/);
    await user.click(within(question).getByRole('button', { name: 'Cancel' }));
    expect(within(status).queryByRole('group')).toBeNull();
    expect(within(status).getByRole('button', { name: 'Archive…' })).toHaveFocus();
    expect(api.to('PUT', '/clients/:id/status')).toHaveLength(0);

    await user.click(within(status).getByRole('button', { name: 'Archive…' }));
    await user.click(within(status).getByRole('button', { name: 'Archive Priya Raman' }));
    expect(await within(status).findByText('Archived Priya Raman.')).toBeVisible();
    expect(api.to('PUT', '/clients/:id/status')).toHaveLength(1);
    expect(api.to('PUT', '/clients/:id/status')[0]?.body).toEqual({ status: 'archived' });
    expect(within(status).queryByRole('group')).toBeNull();
    expect(within(status).getByText(/^Coaching has ended/)).toBeVisible();
    expect(within(status).getByRole('button', { name: 'Reactivate' })).toBeVisible();
  });

  it('shows the api’s reason when the change fails, and changes nothing', async () => {
    withStatus('active', {
      answer: () => apiError(503, 'service_unavailable', 'The database is not answering; try again shortly.'),
    });
    const user = userEvent.setup();
    renderApp(PATH);
    const status = await screen.findByRole('region', { name: 'Coaching status' });
    await user.click(within(status).getByRole('button', { name: 'Pause' }));
    expect(await within(status).findByRole('alert')).toHaveTextContent('The database is not answering; try again shortly.');
    expect(within(status).getByRole('button', { name: 'Pause' })).toBeEnabled();
    expect(within(status).getByText(/^Gets their scheduled DMs/)).toBeVisible();
    expect(screen.getByRole('button', { name: 'Send' })).toBeEnabled();
  });
});

const TRIGGER = '/clients/:id/schedule/:engine/:trigger';

/** The check-in prompt moved to `time` ("06:45"), or turned off, by an override. */
function changed(time: string | null, enabled = true): ScheduleEntry {
  const at = time ?? '07:30';
  const fire = new Date(`2026-11-27T${at}:00+05:30`).toISOString().replace('.000', '');
  return scheduleEntry({
    override: { enabled, local_time: time && `${time}:00`, weekdays: null, updated_at: '2026-11-26T10:00:00Z' },
    enabled,
    local_time: enabled ? `${at}:00` : null,
    next_fire: enabled ? { ...scheduleEntry().next_fire!, at: fire, local: `2026-11-27T${at}:00+05:30` } : null,
  });
}

/** The api's schedule of one trigger the page can change: PUT and DELETE answer as the
 * api would (unless told otherwise, after `hold` if given) and later reads see it. */
function withSchedule(
  initial: ScheduleEntry,
  options: { put?: () => unknown; remove?: () => unknown; hold?: Promise<void>; overrides?: Record<string, unknown> } = {},
) {
  let entry = initial;
  return routes({
    'GET /clients/:id/schedule': () => clientSchedule([entry]),
    [`PUT ${TRIGGER}`]: async (call: Call) => {
      await options.hold;
      if (options.put) return options.put();
      const body = call.body as OverrideRequest;
      entry = changed(body.local_time ?? null, body.enabled);
      return entry;
    },
    [`DELETE ${TRIGGER}`]: async () => {
      await options.hold;
      if (options.remove) return options.remove();
      entry = scheduleEntry();
      return entry;
    },
    ...options.overrides,
  });
}

async function editPrompt(user: ReturnType<typeof userEvent.setup>) {
  const schedule = await screen.findByRole('region', { name: 'Schedule' });
  await user.click(await within(schedule).findByRole('button', { name: 'Edit Morning prompt' }));
  const time = within(schedule).getByLabelText('Morning prompt time (client’s clock)');
  return { schedule, time };
}

describe('changing the client’s schedule', () => {
  it('moves a trigger to another time on the client’s clock', async () => {
    const api = withSchedule(scheduleEntry());
    const user = userEvent.setup();
    renderApp(PATH);
    const { schedule, time } = await editPrompt(user);
    expect(time).toHaveFocus();
    expect(time).toHaveValue('07:30');
    await waitFor(() =>
      expect(time).toHaveAccessibleDescription('24-hour HH:MM; default 07:30; answers close at 12:00'),
    );
    await user.clear(time);
    await user.type(time, '6:45');
    await user.click(within(schedule).getByRole('button', { name: 'Save' }));

    expect(await within(schedule).findByText('Morning prompt now at 06:45 on the client’s clock.')).toBeVisible();
    const [put] = api.to('PUT', TRIGGER);
    expect(put?.path).toBe(`/clients/${ID}/schedule/checkin/morning_prompt`);
    expect(put?.body).toEqual({ enabled: true, local_time: '06:45', weekdays: null });
    const row = within(schedule).getByRole('row', { name: /Morning prompt/ });
    expect(within(row).getByText('Custom')).toBeVisible();
    expect(within(row).getByText('default 07:30')).toBeVisible();
    expect(within(row).getByText('Fri 27 Nov, 06:45')).toBeVisible();
    expect(within(schedule).getByRole('button', { name: 'Edit Morning prompt' })).toHaveFocus();
    await waitFor(() => expect(api.to('GET', '/clients/:id/schedule').length).toBeGreaterThan(1));
  });

  it('checks the time before sending it', async () => {
    const api = withSchedule(scheduleEntry());
    const user = userEvent.setup();
    renderApp(PATH);
    const { schedule, time } = await editPrompt(user);
    await user.clear(time);
    await user.type(time, '25:00');
    await user.click(within(schedule).getByRole('button', { name: 'Save' }));
    expect(time).toHaveAttribute('aria-invalid', 'true');
    expect(time).toHaveAccessibleDescription(/A time on the 24-hour clock, as HH:MM \(e\.g\. 07:30\)\./);
    expect(time).toHaveFocus();

    await user.clear(time);
    await user.type(time, '12:30');
    await user.click(within(schedule).getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(time).toHaveAccessibleDescription(/Before 12:00, when answers close\./));
    expect(api.to('PUT', TRIGGER)).toHaveLength(0);
  });

  it('puts the api’s refusal on the time, and keeps the form', async () => {
    const message = 'checkin.morning_prompt moved to 12:30, not before its 12:00 deadline: pick a time before the deadline';
    withSchedule(scheduleEntry(), {
      // The LST could not be read, so the deadline is the api's to check.
      overrides: { 'GET /lst': apiError(404, 'not_found', 'Not found.') },
      put: () =>
        reply(422, {
          error: {
            code: 'validation_error',
            message: `Invalid request: body.local_time: ${message}`,
            details: [{ field: 'body.local_time', message, type: 'after_deadline' }],
          },
        }),
    });
    const user = userEvent.setup();
    renderApp(PATH);
    const { schedule, time } = await editPrompt(user);
    await user.clear(time);
    await user.type(time, '12:30');
    await user.click(within(schedule).getByRole('button', { name: 'Save' }));
    expect(await within(schedule).findByRole('alert')).toHaveTextContent(`Invalid request: body.local_time: ${message}`);
    expect(time).toHaveAccessibleDescription(new RegExp(message));
    expect(time).toHaveFocus();
    expect(within(schedule).getByRole('button', { name: 'Save' })).toBeEnabled();
  });

  it('turns a trigger off for this client', async () => {
    const held = gate();
    const api = withSchedule(scheduleEntry(), { hold: held.opened });
    const user = userEvent.setup();
    renderApp(PATH);
    const { schedule } = await editPrompt(user);
    await user.click(within(schedule).getByLabelText('Send morning prompt'));
    expect(within(schedule).getByText('Turned off, this client gets no morning prompt.')).toBeVisible();
    await user.click(within(schedule).getByRole('button', { name: 'Save' }));
    expect(within(schedule).getByRole('button', { name: 'Saving…' })).toBeDisabled();
    held.open();

    expect(await within(schedule).findByText('Morning prompt is turned off for this client.')).toBeVisible();
    expect(api.to('PUT', TRIGGER)[0]?.body).toEqual({ enabled: false, local_time: null, weekdays: null });
    const row = within(schedule).getByRole('row', { name: /Morning prompt/ });
    expect(within(row).getByText('Off')).toBeVisible();
    expect(within(row).getByText('Turned off')).toBeVisible();
  });

  it('cancels without sending anything', async () => {
    const api = withSchedule(scheduleEntry());
    const user = userEvent.setup();
    renderApp(PATH);
    const { schedule, time } = await editPrompt(user);
    await user.clear(time);
    await user.type(time, '06:00');
    await user.click(within(schedule).getByRole('button', { name: 'Cancel' }));
    expect(within(schedule).queryByRole('form')).toBeNull();
    expect(within(schedule).getByRole('button', { name: 'Edit Morning prompt' })).toHaveFocus();
    expect(within(schedule).getByText('Fri 27 Nov, 07:30')).toBeVisible();
    expect(api.calls.filter((c) => c.method !== 'GET')).toHaveLength(0);
  });

  it('puts a changed trigger back to its default', async () => {
    const api = withSchedule(changed('06:45'));
    const user = userEvent.setup();
    renderApp(PATH);
    const schedule = await screen.findByRole('region', { name: 'Schedule' });
    expect(await within(schedule).findByText('Custom')).toBeVisible();
    await user.click(within(schedule).getByRole('button', { name: 'Reset Morning prompt to its default' }));
    expect(await within(schedule).findByText('Morning prompt is back to its default, 07:30.')).toBeVisible();
    expect(api.to('DELETE', TRIGGER)[0]?.path).toBe(`/clients/${ID}/schedule/checkin/morning_prompt`);
    expect(within(schedule).queryByText('Custom')).toBeNull();
    expect(within(schedule).queryByRole('button', { name: /^Reset/ })).toBeNull();
    expect(within(schedule).getByText('Fri 27 Nov, 07:30')).toBeVisible();
  });

  it('says why a reset failed, and keeps the change', async () => {
    withSchedule(changed('06:45'), {
      remove: () => apiError(503, 'service_unavailable', 'The database is not answering; try again shortly.'),
    });
    const user = userEvent.setup();
    renderApp(PATH);
    const schedule = await screen.findByRole('region', { name: 'Schedule' });
    await user.click(await within(schedule).findByRole('button', { name: 'Reset Morning prompt to its default' }));
    expect(await within(schedule).findByRole('alert')).toHaveTextContent('The database is not answering; try again shortly.');
    expect(within(schedule).getByText('Custom')).toBeVisible();
    expect(within(schedule).getByRole('button', { name: 'Reset Morning prompt to its default' })).toBeEnabled();
  });
});
