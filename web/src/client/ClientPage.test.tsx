import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { apiError, mockApi, reply } from '../../test/api';
import { COACH, HOSTILE, delivery, detail, flag, flagPage, meal, profile } from '../../test/fixtures';
import { renderApp } from '../../test/render';
import type { ClientProfile, TimelineEntry } from '../api/types';

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

const SCHEDULE = {
  client_id: ID,
  time_zone: 'Asia/Kolkata',
  status: 'active' as const,
  fires: true,
  local_now: '2026-11-26T15:00:00+05:30',
  entries: [
    {
      engine: 'checkin',
      trigger: 'morning_prompt',
      description: 'DM the check-in prompt',
      default_time: '07:30:00',
      default_weekdays: ['mon' as const],
      override: null,
      enabled: true,
      local_time: '07:30:00',
      weekdays: ['mon' as const, 'tue' as const],
      next_fire: {
        at: '2026-11-27T02:00:00Z',
        local: '2026-11-27T07:30:00+05:30',
        local_date: '2026-11-27',
        deadline_at: '2026-11-27T06:30:00Z',
        deadline_local: '2026-11-27T12:00:00+05:30',
      },
      problem: null,
    },
  ],
};

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

  it('lists the next fires on the client’s clock', async () => {
    routes();
    renderApp(PATH);
    const next = await screen.findByRole('region', { name: 'Next scheduled' });
    expect(await within(next).findByText('Fri 27 Nov, 07:30')).toBeVisible();
    expect(within(next).getByText('· answer by Fri 27 Nov, 12:00')).toBeVisible();
    expect(within(next).getByText('Times in the client’s zone, Asia/Kolkata')).toBeVisible();
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
