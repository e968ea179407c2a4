import type { FlagCounts } from '../api/types';

/** "2 high · 1 medium": unresolved flags by severity, the most severe first. */
export function FlagCountChips({ counts }: { counts: FlagCounts }) {
  const shown = (['high', 'medium', 'low'] as const).filter((severity) => counts[severity] > 0);
  if (shown.length === 0) return <span className="muted">None</span>;
  return (
    <span className="chips">
      {shown.map((severity) => (
        <span key={severity} className={`chip ${severity}`}>
          {counts[severity]} {severity}
        </span>
      ))}
    </span>
  );
}
