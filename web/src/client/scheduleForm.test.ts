import { describe, expect, it } from 'vitest';
import { scheduleEntry } from '../../test/fixtures';
import { scheduleChange, validateTime, valuesOf, wallClockTime } from './scheduleForm';

const override = (changes: { enabled?: boolean; local_time?: string | null; weekdays?: ('mon' | 'wed')[] | null }) => ({
  enabled: true,
  local_time: null,
  weekdays: null,
  updated_at: '2026-11-20T00:00:00Z',
  ...changes,
});

describe('a wall-clock time as typed', () => {
  it('reads HH:MM and H:MM, and nothing that is not a time of day', () => {
    expect(wallClockTime('07:05')).toBe('07:05');
    expect(wallClockTime(' 7:05 ')).toBe('07:05');
    expect(wallClockTime('23:59')).toBe('23:59');
    expect(wallClockTime('00:00')).toBe('00:00');
    for (const bad of ['24:00', '12:60', '7', '0705', '7.05', '07:05:00', '', 'noon', '-1:00']) {
      expect(wallClockTime(bad), bad).toBeNull();
    }
  });
});

describe('the schedule form', () => {
  it('starts from what is in effect, or the time a turned-off trigger comes back at', () => {
    expect(valuesOf(scheduleEntry())).toEqual({ time: '07:30', enabled: true });
    const off = scheduleEntry({ enabled: false, local_time: null, override: override({ enabled: false, local_time: '06:45:00' }) });
    expect(valuesOf(off)).toEqual({ time: '06:45', enabled: false });
    const offAtDefault = scheduleEntry({ enabled: false, local_time: null, override: override({ enabled: false }) });
    expect(valuesOf(offAtDefault)).toEqual({ time: '07:30', enabled: false });
  });

  it('asks for HH:MM, and a time before the answer deadline while the trigger is on', () => {
    expect(validateTime({ time: '7:5', enabled: true })).toBe('A time on the 24-hour clock, as HH:MM (e.g. 07:30).');
    expect(validateTime({ time: '11:59', enabled: true }, '12:00:00')).toBeUndefined();
    expect(validateTime({ time: '12:00', enabled: true }, '12:00:00')).toBe('Before 12:00, when answers close.');
    // Turned off, the deadline is no matter; a trigger without one takes any time.
    expect(validateTime({ time: '12:30', enabled: false }, '12:00:00')).toBeUndefined();
    expect(validateTime({ time: '23:45', enabled: true }, null)).toBeUndefined();
  });

  it('sends nothing when nothing changed', () => {
    expect(scheduleChange(scheduleEntry(), { time: '7:30', enabled: true })).toBeNull();
  });

  it('sends a new time, and leaves what it does not edit to the LST', () => {
    expect(scheduleChange(scheduleEntry(), { time: '6:45', enabled: true })).toEqual({
      kind: 'put',
      body: { enabled: true, local_time: '06:45', weekdays: null },
    });
  });

  it('turns a trigger off at its default time without pinning that time', () => {
    expect(scheduleChange(scheduleEntry(), { time: '07:30', enabled: false })).toEqual({
      kind: 'put',
      body: { enabled: false, local_time: null, weekdays: null },
    });
  });

  it('keeps the weekdays an override already has', () => {
    const entry = scheduleEntry({ override: override({ local_time: '06:45:00', weekdays: ['mon', 'wed'] }), local_time: '06:45:00' });
    expect(scheduleChange(entry, { time: '07:30', enabled: true })).toEqual({
      kind: 'put',
      body: { enabled: true, local_time: null, weekdays: ['mon', 'wed'] },
    });
  });

  it('removes the override when the trigger goes back to exactly its default', () => {
    const entry = scheduleEntry({ override: override({ local_time: '06:45:00' }), local_time: '06:45:00' });
    expect(scheduleChange(entry, { time: '07:30', enabled: true })).toEqual({ kind: 'delete' });
  });
});
