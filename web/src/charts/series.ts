// The api's chart series as uPlot's columns (x: each local day as UTC-midnight seconds,
// so every client's days line up whatever their zone), plus one-line text summaries:
// the charts are canvases, and the summary is what a screen reader gets.
import type uPlot from 'uplot';
import type { DayCompliance, NutritionPoint, WeightPoint } from '../api/types';
import { dayLabel, number, percent } from '../format';

export function daySeconds(localDate: string): number {
  return Date.parse(`${localDate}T00:00:00Z`) / 1000;
}

export function weightData(points: WeightPoint[]): uPlot.AlignedData {
  return [
    points.map((p) => daySeconds(p.local_date)),
    points.map((p) => p.weight_kg),
    points.map((p) => p.moving_average_7d),
  ];
}

export function weightSummary(points: WeightPoint[]): string {
  const first = points[0];
  const last = points.at(-1);
  if (!first || !last) return 'No weigh-ins in this period.';
  const change = last.moving_average_7d - first.moving_average_7d;
  const direction = Math.abs(change) < 0.05 ? 'flat' : `${change > 0 ? '+' : '−'}${Math.abs(change).toFixed(1)} kg`;
  return `${points.length} weigh-ins. Latest ${last.weight_kg.toFixed(1)} kg on ${dayLabel(
    last.local_date,
  )}; 7-day average ${last.moving_average_7d.toFixed(1)} kg (${direction} since ${dayLabel(
    first.local_date,
  )}).`;
}

export function adherenceData(days: DayCompliance[]): uPlot.AlignedData {
  return [
    days.map((d) => daySeconds(d.local_date)),
    days.map((d) => (d.rate === null ? null : Math.round(d.rate * 100))),
  ];
}

export function adherenceSummary(days: DayCompliance[]): string {
  const due = days.reduce((sum, d) => sum + d.due, 0);
  const done = days.reduce((sum, d) => sum + d.done, 0);
  if (due === 0) return 'Nothing was due in this period.';
  const missedDays = days.filter((d) => d.rate !== null && d.rate < 0.5).length;
  return `${percent(done / due)} of ${number(due)} tasks done over ${days.length} days; ${missedDays} ${
    missedDays === 1 ? 'day' : 'days'
  } under half.`;
}

type Nutrient = 'kcal' | 'protein_g';

const TARGET: Record<Nutrient, 'target_kcal' | 'target_protein_g'> = {
  kcal: 'target_kcal',
  protein_g: 'target_protein_g',
};

export function nutritionData(points: NutritionPoint[], nutrient: Nutrient): uPlot.AlignedData {
  return [
    points.map((p) => daySeconds(p.local_date)),
    points.map((p) => p[nutrient]),
    points.map((p) => p[TARGET[nutrient]]),
  ];
}

export function nutritionSummary(points: NutritionPoint[], nutrient: Nutrient): string {
  const logged = points.filter((p) => p[nutrient] !== null);
  const unit = nutrient === 'kcal' ? 'kcal' : 'g protein';
  const target = points.at(-1)?.[TARGET[nutrient]];
  if (logged.length === 0 || target === undefined) return 'Nothing logged in this period.';
  const mean = logged.reduce((sum, p) => sum + (p[nutrient] ?? 0), 0) / logged.length;
  return `Logged on ${logged.length} of ${points.length} days, averaging ${number(
    Math.round(mean),
  )} ${unit} against a target of ${number(target)}.`;
}
