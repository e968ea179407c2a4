// One trigger's schedule edit: its values (as typed), their checks, and the request it
// sends. The api's rules (docs/openapi.json, OverrideRequest): a wall-clock time on the
// client's clock, HH:MM (the tick runs once a minute, so no seconds), before the
// trigger's answer deadline when it has one; a field left out (null) keeps the LST's.
// The api checks all of it again, and its 422 details land on the same field.
import type { OverrideRequest, ScheduleEntry } from '../api/types';
import { clockTime } from '../format';

export interface ScheduleValues {
  /** "07:30" as typed. */
  time: string;
  enabled: boolean;
}

/** What saving sends: an override, a removal (back to the LST's default), or nothing. */
export type ScheduleChange = { kind: 'put'; body: OverrideRequest } | { kind: 'delete' } | null;

const WALL_CLOCK = /^(\d{1,2}):(\d{2})$/;

/** "7:05" or "07:05" as "07:05"; null if it is not a time of day. */
export function wallClockTime(text: string): string | null {
  const match = WALL_CLOCK.exec(text.trim());
  if (!match) return null;
  const [hours, minutes] = [Number(match[1]), Number(match[2])];
  if (hours > 23 || minutes > 59) return null;
  return `${String(hours).padStart(2, '0')}:${String(minutes).padStart(2, '0')}`;
}

export function valuesOf(entry: ScheduleEntry): ScheduleValues {
  // A turned-off trigger has no time in effect: the one it would come back at.
  const time = entry.local_time ?? entry.override?.local_time ?? entry.default_time;
  return { time: clockTime(time), enabled: entry.enabled };
}

/** What is wrong with the time, or undefined. `deadline` is the trigger's same-day
 * answer deadline ("12:00:00"), when it has one and it is known. */
export function validateTime(values: ScheduleValues, deadline?: string | null): string | undefined {
  const time = wallClockTime(values.time);
  if (time === null) return 'A time on the 24-hour clock, as HH:MM (e.g. 07:30).';
  if (values.enabled && deadline && time >= clockTime(deadline)) {
    return `Before ${clockTime(deadline)}, when answers close.`;
  }
  return undefined;
}

/** The request that puts `values` in effect; null when they already are. Back to the
 * LST's time and on, with no other change kept, is the default: the override goes. */
export function scheduleChange(entry: ScheduleEntry, values: ScheduleValues): ScheduleChange {
  const time = wallClockTime(values.time);
  if (time === null) return null;
  const current = valuesOf(entry);
  if (time === current.time && values.enabled === current.enabled) return null;
  const weekdays = entry.override?.weekdays ?? null; // not edited here: kept as they are
  const isDefaultTime = time === clockTime(entry.default_time);
  if (values.enabled && isDefaultTime && weekdays === null) {
    return entry.override ? { kind: 'delete' } : null;
  }
  return {
    kind: 'put',
    body: { enabled: values.enabled, local_time: isDefaultTime ? null : time, weekdays },
  };
}
