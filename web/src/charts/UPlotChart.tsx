import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

const HEIGHT = 200;

export type ChartOptions = Omit<uPlot.Options, 'width' | 'height'>;

/** A uPlot canvas that follows its container's width. `options` and `data` must be
 * memoised by the caller: a new object rebuilds the chart. */
export function UPlotChart({ options, data }: { options: ChartOptions; data: uPlot.AlignedData }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const size = () => ({ width: Math.max(element.clientWidth, 200), height: HEIGHT });
    const chart = new uPlot({ ...options, ...size() }, data, element);
    const observer = new ResizeObserver(() => chart.setSize(size()));
    observer.observe(element);
    return () => {
      observer.disconnect();
      chart.destroy();
    };
  }, [options, data]);
  // The canvas is drawn for sighted readers; the figure's summary text says the same.
  return <div ref={box} className="chart-canvas" aria-hidden="true" />;
}
