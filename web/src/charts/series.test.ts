import { describe, expect, it } from 'vitest';
import { adherenceData, adherenceSummary, daySeconds, nutritionData, nutritionSummary, weightData, weightSummary } from './series';

const weights = [
  { local_date: '2026-11-01', weight_kg: 80.4, moving_average_7d: 80.4 },
  { local_date: '2026-11-08', weight_kg: 79.6, moving_average_7d: 79.9 },
];

const nutrition = [
  { local_date: '2026-11-01', meals: 3, kcal: 1800, protein_g: 100, target_kcal: 2000, target_protein_g: 140 },
  { local_date: '2026-11-02', meals: 0, kcal: null, protein_g: null, target_kcal: 2000, target_protein_g: 140 },
];

describe('chart series', () => {
  it('puts every day at its UTC midnight', () => {
    expect(daySeconds('2026-11-01')).toBe(Date.UTC(2026, 10, 1) / 1000);
  });

  it('plots weigh-ins beside their moving average', () => {
    expect(weightData(weights)).toEqual([[daySeconds('2026-11-01'), daySeconds('2026-11-08')], [80.4, 79.6], [80.4, 79.9]]);
    expect(weightSummary(weights)).toBe(
      '2 weigh-ins. Latest 79.6 kg on Sun 8 Nov; 7-day average 79.9 kg (−0.5 kg since Sun 1 Nov).',
    );
    expect(weightSummary([])).toBe('No weigh-ins in this period.');
  });

  it('leaves a gap for a day with nothing due', () => {
    const days = [
      { local_date: '2026-11-01', due: 4, done: 3, rate: 0.75 },
      { local_date: '2026-11-02', due: 0, done: 0, rate: null },
    ];
    expect(adherenceData(days)[1]).toEqual([75, null]);
    expect(adherenceSummary(days)).toBe('75% of 4 tasks done over 2 days; 0 days under half.');
  });

  it('sets what was eaten against the target, gaps where nothing was logged', () => {
    expect(nutritionData(nutrition, 'kcal').slice(1)).toEqual([
      [1800, null],
      [2000, 2000],
    ]);
    expect(nutritionSummary(nutrition, 'protein_g')).toBe(
      'Logged on 1 of 2 days, averaging 100 g protein against a target of 140.',
    );
  });
});
