// Typed by the generated schema: when the api's shapes change, these stop compiling.
import type {
  ClientDetail,
  ClientProfile,
  ClientSchedule,
  ClientSummary,
  CoachSession,
  DayCompliance,
  DeliveryView,
  FlagView,
  Lst,
  ScheduleEntry,
  TimelineEntry,
  Weekday,
} from '../src/api/types';

export const COACH: CoachSession = {
  discord_user_id: '111111111111111111',
  username: 'Coach Kim',
  expires_at: '2099-01-01T00:00:00Z',
};

/** Markup as a client might type it: it must show as these characters, never run. */
export const HOSTILE = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>';

const ID = '0190d2c4-0000-7000-8000-000000000001';

function week(rate: number | null): DayCompliance[] {
  return Array.from({ length: 7 }, (_, i) => ({
    local_date: `2026-11-${String(19 + i).padStart(2, '0')}`,
    due: rate === null ? 0 : 4,
    done: rate === null ? 0 : Math.round(rate * 4),
    rate,
  }));
}

export function summary(overrides: Partial<ClientSummary> = {}): ClientSummary {
  return {
    id: ID,
    display_name: 'Priya Raman',
    discord_user_id: '578968554048788319',
    status: 'active',
    time_zone: 'Asia/Kolkata',
    local_now: '2026-11-26T15:20:00+05:30',
    job_card: {
      client_id: ID,
      local_date: '2026-11-26',
      card_id: null,
      total: 5,
      done: 3,
      skipped: 0,
      missed: 1,
      pending: 1,
    },
    checkin_today: 'answered',
    compliance_7d: { due: 28, done: 21, rate: 0.75 },
    compliance_daily: week(0.75),
    open_flags: { high: 1, medium: 0, low: 2 },
    last_activity_at: '2026-11-26T08:00:00Z',
    ...overrides,
  };
}

export function rosterPage(items: ClientSummary[], total = items.length, offset = 0) {
  return { items, total, limit: 50, offset };
}

export function profile(overrides: Partial<ClientProfile> = {}): ClientProfile {
  return {
    id: ID,
    discord_user_id: '578968554048788319',
    display_name: 'Priya Raman',
    time_zone: 'Asia/Kolkata',
    status: 'active',
    goal: 'fat_loss',
    goal_weight_kg: 65,
    targets: {
      kcal: 1700,
      protein_g: 120,
      carbs_g: 190,
      fat_g: 51,
      steps: 10000,
      water_ml: 2500,
      training_days: ['tue', 'thu', 'sat'],
    },
    created_at: '2026-08-01T00:00:00Z',
    updated_at: '2026-11-20T00:00:00Z',
    last_activity_at: '2026-11-26T08:00:00Z',
    ...overrides,
  };
}

export function detail(overrides: Partial<ClientProfile> = {}): ClientDetail {
  const p = profile(overrides);
  return {
    profile: p,
    summary: summary({ id: p.id, display_name: p.display_name, status: p.status }),
    compliance_28d: { due: 112, done: 95, rate: 0.848 },
  };
}

export function flag(overrides: Partial<FlagView> = {}): FlagView {
  return {
    id: '0190d2c4-0000-7000-8000-0000000000f1',
    client_id: ID,
    client_display_name: 'Priya Raman',
    iso_week: '2026-W47',
    code: 'RECON_NUTRITION',
    severity: 'high',
    source: 'dspy',
    evidence: [
      { label: 'self-report', value: 'hit my macros all week', refs: [] },
      { label: 'avg kcal logged per day', value: 2373, target: 1700, refs: ['m1', 'm2'] },
    ],
    rationale: 'Priya reports hitting macros all week, but logged meals average 2,373 kcal.',
    suggested_action: 'Go through one typical day together.',
    status: 'open',
    status_note: null,
    created_at: '2026-11-23T06:00:00Z',
    updated_at: '2026-11-23T06:00:00Z',
    ...overrides,
  };
}

export function flagPage(items: FlagView[], total = items.length) {
  return { items, total, limit: 50, offset: 0 };
}

export function delivery(overrides: Partial<DeliveryView> = {}): DeliveryView {
  return {
    kind: 'delivery',
    id: '0190d2c4-0000-7000-8000-0000000000d1',
    at: '2026-11-26T09:00:00Z',
    delivery_kind: 'nudge',
    status: 'queued',
    text: 'Keep going!',
    attempts: 0,
    last_error: null,
    sent_at: null,
    client_id: ID,
    client_display_name: 'Priya Raman',
    recipient_discord_id: '578968554048788319',
    discord_message_id: null,
    ...overrides,
  };
}

export function meal(overrides: Partial<Extract<TimelineEntry, { kind: 'meal' }>> = {}): TimelineEntry {
  return {
    kind: 'meal',
    id: '0190d2c4-0000-7000-8000-0000000000e1',
    at: '2026-11-26T07:00:00Z',
    local_date: '2026-11-26',
    description: 'Masala dosa',
    kcal: 630,
    protein_g: 22,
    carbs_g: 90,
    fat_g: 21,
    photo_url: null,
    ...overrides,
  };
}

const EVERY_DAY: Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/** The check-in prompt as the LST declares it (07:30, answers by 12:00), no override. */
export function scheduleEntry(overrides: Partial<ScheduleEntry> = {}): ScheduleEntry {
  return {
    engine: 'checkin',
    trigger: 'morning_prompt',
    description: 'DM the check-in prompt (weight, sleep, energy, notes); unanswered by noon it is missed.',
    default_time: '07:30:00',
    default_weekdays: EVERY_DAY,
    override: null,
    enabled: true,
    local_time: '07:30:00',
    weekdays: EVERY_DAY,
    next_fire: {
      at: '2026-11-27T02:00:00Z',
      local: '2026-11-27T07:30:00+05:30',
      local_date: '2026-11-27',
      deadline_at: '2026-11-27T06:30:00Z',
      deadline_local: '2026-11-27T12:00:00+05:30',
    },
    problem: null,
    ...overrides,
  };
}

export function clientSchedule(entries: ScheduleEntry[], overrides: Partial<ClientSchedule> = {}): ClientSchedule {
  return {
    client_id: ID,
    time_zone: 'Asia/Kolkata',
    status: 'active',
    fires: true,
    local_now: '2026-11-26T15:00:00+05:30',
    entries,
    ...overrides,
  };
}

/** The part of the LST the client page reads: the check-in prompt and its deadline. */
export function lst(): Lst {
  return {
    engines: [
      {
        id: 'checkin',
        description: 'Daily morning check-in.',
        triggers: [
          {
            engine: 'checkin',
            trigger: 'morning_prompt',
            clock: 'client_local',
            at: '07:30:00',
            weekdays: EVERY_DAY,
            on_event: null,
            when: '07:30 client-local, every day',
            emits: 'delivery.requested',
            delivery_kind: 'checkin_prompt',
            deadline: '12:00 client-local, same day',
            deadline_at: '12:00:00',
            deadline_minutes: null,
            missed_policy: 'mark_missed',
            missed_policy_meaning: 'the fire becomes missed if no answer arrived by the deadline',
            answered_by: 'checkin.answered',
            description: 'DM the check-in prompt.',
          },
        ],
      },
    ],
  };
}
