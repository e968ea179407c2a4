import type { DayCompliance } from '../api/types';
import { dayLabel, percent } from '../format';

const WIDTH = 70;
const HEIGHT = 22;
const GAP = 2;

function tone(rate: number | null): string {
  if (rate === null) return 'none';
  return rate >= 0.8 ? 'good' : rate >= 0.5 ? 'warn' : 'bad';
}

/** One bar per day, as tall as that day's compliance; a grey stub when nothing was due. */
export function Sparkline({ days }: { days: DayCompliance[] }) {
  const bar = days.length ? (WIDTH - GAP * (days.length - 1)) / days.length : 0;
  const label = days.map((day) => `${dayLabel(day.local_date)} ${percent(day.rate)}`).join(', ');
  return (
    <svg
      className="sparkline"
      width={WIDTH}
      height={HEIGHT}
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      role="img"
      aria-label={`Daily compliance: ${label}`}
    >
      {days.map((day, index) => {
        const height = day.rate === null ? 2 : Math.max(2, day.rate * HEIGHT);
        return (
          <rect
            key={day.local_date}
            className={tone(day.rate)}
            x={index * (bar + GAP)}
            y={HEIGHT - height}
            width={bar}
            height={height}
            rx={1}
          />
        );
      })}
    </svg>
  );
}
