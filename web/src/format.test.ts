import { describe, expect, it } from 'vitest';
import { dayLabel, percent, relative, wallClock, words } from './format';

describe('formatting', () => {
  const now = new Date('2026-11-26T12:00:00Z');

  it('tells the time on the client’s own clock', () => {
    expect(wallClock('Asia/Kolkata', now)).toBe('Thu 17:30');
    expect(wallClock('America/St_Johns', now)).toBe('Thu 08:30');
  });

  it('says how long ago, or how soon', () => {
    expect(relative('2026-11-26T11:59:30Z', now)).toBe('just now');
    expect(relative('2026-11-26T09:00:00Z', now)).toBe('3 h ago');
    expect(relative('2026-11-26T12:20:00Z', now)).toBe('in 20 min');
    expect(relative('2026-11-23T12:00:00Z', now)).toBe('3 days ago');
  });

  it('shows a rate of nothing due as a dash', () => {
    expect(percent(0.834)).toBe('83%');
    expect(percent(null)).toBe('—');
  });

  it('labels days and enum values', () => {
    expect(dayLabel('2026-11-26')).toBe('Thu 26 Nov');
    expect(words('not_asked')).toBe('Not asked');
  });
});
