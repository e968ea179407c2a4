// uPlot options for the client page's four charts. Canvas cannot read CSS variables,
// so the palette is repeated here (the same values as styles.css).
import uPlot from 'uplot';
import type { ChartOptions } from './UPlotChart';

const COLOUR = {
  primary: '#2454c5',
  accent: '#b4460b',
  good: '#1f7a3d',
  target: '#5b6472',
  grid: '#e3e6eb',
  axis: '#3c4350',
};

const bars = uPlot.paths.bars?.({ size: [0.7, 40] });

// Days are calendar days, drawn in UTC so that no zone shifts them.
const utc = (seconds: number) => uPlot.tzDate(new Date(seconds * 1e3), 'Etc/UTC');

const dayFormat = new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', day: 'numeric', month: 'short' });

function axes(unit: string): uPlot.Axis[] {
  const style = { stroke: COLOUR.axis, grid: { stroke: COLOUR.grid, width: 1 }, ticks: { show: false } };
  return [
    { ...style, values: (_u, splits) => splits.map((s) => dayFormat.format(new Date(s * 1e3))) },
    { ...style, size: 56, label: unit, labelSize: 18 },
  ];
}

const day = { label: 'Day' };

// The legend names the series; values are in the summary above each chart.
const legend = { live: false };

export function weightOptions(): ChartOptions {
  return {
    tzDate: utc,
    legend,
    scales: { x: { time: true } },
    axes: axes('kg'),
    series: [
      day,
      {
        label: 'Weigh-in (kg)',
        stroke: COLOUR.primary,
        width: 0,
        points: { show: true, size: 6, fill: COLOUR.primary },
      },
      { label: '7-day average (kg)', stroke: COLOUR.accent, width: 2, points: { show: false } },
    ],
  };
}

export function adherenceOptions(): ChartOptions {
  return {
    tzDate: utc,
    legend,
    scales: { x: { time: true }, y: { range: [0, 100] } },
    axes: axes('%'),
    series: [
      day,
      { label: 'Done (%)', stroke: COLOUR.good, fill: `${COLOUR.good}cc`, width: 0, paths: bars, points: { show: false } },
    ],
  };
}

export function nutritionOptions(label: string, unit: string): ChartOptions {
  return {
    tzDate: utc,
    legend,
    scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(max * 1.1, 1)] } },
    axes: axes(unit),
    series: [
      day,
      { label: `${label} (${unit})`, stroke: COLOUR.primary, fill: `${COLOUR.primary}b3`, width: 0, paths: bars, points: { show: false } },
      { label: `Target (${unit})`, stroke: COLOUR.target, width: 2, dash: [6, 4], points: { show: false } },
    ],
  };
}
