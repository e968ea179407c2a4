import { useMemo, useState } from 'react';
import { useCharts } from '../api/hooks';
import type { ClientCharts } from '../api/types';
import { ChartFigure } from '../charts/ChartFigure';
import { adherenceOptions, nutritionOptions, weightOptions } from '../charts/options';
import {
  adherenceData,
  adherenceSummary,
  nutritionData,
  nutritionSummary,
  weightData,
  weightSummary,
} from '../charts/series';
import { Panel } from '../components/Panel';
import { Resource } from '../components/States';

const RANGES = [14, 28, 90];

// Built once: a new options object would make uPlot rebuild the chart.
const WEIGHT = weightOptions();
const ADHERENCE = adherenceOptions();
const KCAL = nutritionOptions('Calories', 'kcal');
const PROTEIN = nutritionOptions('Protein', 'g');

function Charts({ charts }: { charts: ClientCharts }) {
  const { weight, adherence, nutrition } = charts;
  const data = useMemo(
    () => ({
      weight: weight.length ? weightData(weight) : null,
      adherence: adherence.some((d) => d.due > 0) ? adherenceData(adherence) : null,
      kcal: nutrition.some((p) => p.kcal !== null) ? nutritionData(nutrition, 'kcal') : null,
      protein: nutrition.some((p) => p.protein_g !== null)
        ? nutritionData(nutrition, 'protein_g')
        : null,
    }),
    [weight, adherence, nutrition],
  );
  return (
    <div className="charts">
      <ChartFigure title="Weight trend" summary={weightSummary(weight)} options={WEIGHT} data={data.weight} />
      <ChartFigure
        title="Daily adherence"
        summary={adherenceSummary(adherence)}
        options={ADHERENCE}
        data={data.adherence}
      />
      <ChartFigure
        title="Calories vs target"
        summary={nutritionSummary(nutrition, 'kcal')}
        options={KCAL}
        data={data.kcal}
      />
      <ChartFigure
        title="Protein vs target"
        summary={nutritionSummary(nutrition, 'protein_g')}
        options={PROTEIN}
        data={data.protein}
      />
    </div>
  );
}

export function ChartsPanel({ clientId }: { clientId: string }) {
  const [days, setDays] = useState(28);
  const charts = useCharts(clientId, days);
  return (
    <Panel
      title="Trends"
      className="wide"
      actions={
        <label>
          Period{' '}
          <select value={days} onChange={(event) => setDays(Number(event.target.value))}>
            {RANGES.map((range) => (
              <option key={range} value={range}>
                Last {range} days
              </option>
            ))}
          </select>
        </label>
      }
    >
      <Resource result={charts} what="the charts">
        {(data) => <Charts charts={data} />}
      </Resource>
    </Panel>
  );
}
