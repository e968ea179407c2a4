import { useState } from 'react';
import { useFlags } from '../api/hooks';
import type { FlagSeverity, FlagSource, FlagStatus } from '../api/types';
import { Badge } from '../components/Badge';
import { Pager } from '../components/Pager';
import { Panel } from '../components/Panel';
import { Resource } from '../components/States';
import { number, words } from '../format';
import { FlagCard } from './FlagCard';
import { ScanButton } from './ScanButton';
import { SEVERITY_TONE, isoWeek } from './labels';

const PAGE = 12;
const SEVERITIES: FlagSeverity[] = ['high', 'medium', 'low'];

const STATUS_CHOICES: { label: string; statuses: FlagStatus[] | undefined }[] = [
  { label: 'Unresolved', statuses: ['open', 'acknowledged'] },
  { label: 'Open (not yet seen)', statuses: ['open'] },
  { label: 'Acknowledged', statuses: ['acknowledged'] },
  { label: 'Resolved', statuses: ['resolved'] },
  { label: 'All', statuses: undefined },
];

const SOURCE_CHOICES: { label: string; source: FlagSource | undefined }[] = [
  { label: 'Any', source: undefined },
  { label: 'Rules', source: 'rules' },
  { label: 'AI', source: 'dspy' },
  { label: 'System', source: 'system' },
];

interface Filters {
  week: string;
  statuses: FlagStatus[] | undefined;
  source: FlagSource | undefined;
}

/** One severity's flags, paged on its own. */
function SeverityGroup({ severity, filters }: { severity: FlagSeverity; filters: Filters }) {
  const [offset, setOffset] = useState(0);
  const flags = useFlags({
    week: filters.week || undefined,
    severity: [severity],
    status: filters.statuses,
    source: filters.source ? [filters.source] : undefined,
    limit: PAGE,
    offset,
  });
  return (
    <Panel
      title={`${words(severity)} severity`}
      className="wide"
      actions={flags.data && <Badge tone={SEVERITY_TONE[severity]}>{number(flags.data.total)}</Badge>}
    >
      <Resource
        result={flags}
        what={`${severity} flags`}
        empty={(page) => (page.items.length === 0 ? `No ${severity} flags for these filters.` : null)}
      >
        {(page) => (
          <>
            <div className="flag-list columns">
              {page.items.map((flag) => (
                <FlagCard key={flag.id} flag={flag} showClient />
              ))}
            </div>
            <Pager label={`${severity} flags`} total={page.total} limit={page.limit} offset={page.offset} onOffset={setOffset} />
          </>
        )}
      </Resource>
    </Panel>
  );
}

export function FlagsPage() {
  // An inbox: everything still unresolved, whichever week raised it, until narrowed.
  const [filters, setFilters] = useState<Filters>({
    week: '',
    statuses: STATUS_CHOICES[0]?.statuses,
    source: undefined,
  });
  // Each group pages on its own; new filters start every group at its first page.
  const groupKey = JSON.stringify(filters);
  return (
    <section className="page" aria-labelledby="flags-title">
      <div className="page-head">
        <h1 id="flags-title">Flags</h1>
        <ScanButton
          label={`Re-scan everyone (${filters.week || `this week, ${isoWeek(new Date())}`})`}
          isoWeek={filters.week || undefined}
        />
      </div>
      <div className="filters" role="search" aria-label="Flag filters">
        <label>
          Week <span className="muted small">(empty: every week)</span>
          <input
            type="week"
            value={filters.week}
            onChange={(event) => setFilters({ ...filters, week: event.target.value })}
          />
        </label>
        <label>
          Status
          <select
            value={STATUS_CHOICES.findIndex((choice) => choice.statuses === filters.statuses)}
            onChange={(event) =>
              setFilters({ ...filters, statuses: STATUS_CHOICES[Number(event.target.value)]?.statuses })
            }
          >
            {STATUS_CHOICES.map((choice, index) => (
              <option key={choice.label} value={index}>
                {choice.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Raised by
          <select
            value={SOURCE_CHOICES.findIndex((choice) => choice.source === filters.source)}
            onChange={(event) =>
              setFilters({ ...filters, source: SOURCE_CHOICES[Number(event.target.value)]?.source })
            }
          >
            {SOURCE_CHOICES.map((choice, index) => (
              <option key={choice.label} value={index}>
                {choice.label}
              </option>
            ))}
          </select>
        </label>
      </div>
      {SEVERITIES.map((severity) => (
        <SeverityGroup key={`${severity}:${groupKey}`} severity={severity} filters={filters} />
      ))}
    </section>
  );
}
