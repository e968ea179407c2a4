import { describe, expect, it } from 'vitest';
import { isoWeek, origins } from './labels';

describe('ISO weeks', () => {
  it.each([
    ['2026-11-26T12:00:00Z', '2026-W48'],
    ['2026-01-01T00:00:00Z', '2026-W01'],
    ['2027-01-01T00:00:00Z', '2026-W53'],
    ['2024-12-30T00:00:00Z', '2025-W01'],
  ])('%s is in %s', (day, week) => {
    expect(isoWeek(new Date(day))).toBe(week);
  });
});

describe('who raised a flag', () => {
  it('marks rules, AI and recon', () => {
    expect(origins({ source: 'rules', code: 'GONE_QUIET' })).toEqual(['Rules']);
    expect(origins({ source: 'dspy', code: 'RECON_NUTRITION' })).toEqual(['AI', 'Recon']);
    expect(origins({ source: 'system', code: 'DELIVERY_BLOCKED' })).toEqual(['System']);
  });
});
