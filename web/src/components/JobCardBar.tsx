import type { JobCardProgress } from '../api/types';

/** Today's job card as a bar: done, skipped and missed items of the total. */
export function JobCardBar({ card }: { card: JobCardProgress }) {
  if (card.total === 0) return <span className="muted">No card today</span>;
  const share = (count: number) => `${(count / card.total) * 100}%`;
  const label = `${card.done} of ${card.total} done${card.missed ? `, ${card.missed} missed` : ''}${
    card.skipped ? `, ${card.skipped} skipped` : ''
  }`;
  return (
    <span className="jobcard" title={label}>
      <span className="bar" role="img" aria-label={label}>
        <span className="done" style={{ width: share(card.done) }} />
        <span className="skipped" style={{ width: share(card.skipped) }} />
        <span className="missed" style={{ width: share(card.missed) }} />
      </span>
      <span aria-hidden="true">
        {card.done}/{card.total}
      </span>
    </span>
  );
}
