import type uPlot from 'uplot';
import { UPlotChart, type ChartOptions } from './UPlotChart';

interface Props {
  title: string;
  summary: string;
  options: ChartOptions;
  /** Null when there is nothing to draw: the summary then says why not. */
  data: uPlot.AlignedData | null;
}

/** One chart with its title and a text summary of what it shows. */
export function ChartFigure({ title, summary, options, data }: Props) {
  return (
    <figure className="chart" data-testid="chart">
      <figcaption>
        <h3>{title}</h3>
        <p className="muted small">{summary}</p>
      </figcaption>
      {data ? <UPlotChart options={options} data={data} /> : null}
    </figure>
  );
}
