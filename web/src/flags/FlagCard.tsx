import { Link } from 'react-router';
import type { Evidence, FlagView } from '../api/types';
import { Badge } from '../components/Badge';
import { dateTime, words } from '../format';
import { FlagActions } from './FlagActions';
import { FLAG_LABEL, SEVERITY_TONE, origins } from './labels';

function value(v: Evidence['value']): string {
  if (v === null || v === undefined) return '—';
  return typeof v === 'number' ? v.toLocaleString('en-GB', { maximumFractionDigits: 2 }) : v;
}

function EvidenceList({ evidence }: { evidence: Evidence[] }) {
  if (evidence.length === 0) return null;
  return (
    <dl className="evidence">
      {evidence.map((item, index) => (
        <div key={index}>
          <dt>{item.label}</dt>
          <dd>
            {value(item.value)}
            {item.target !== null && item.target !== undefined && (
              <span className="muted"> (target {value(item.target)})</span>
            )}
            {item.refs.length > 0 && (
              <span className="muted small" title={item.refs.join(', ')}>
                {' '}
                · {item.refs.length} {item.refs.length === 1 ? 'record' : 'records'}
              </span>
            )}
          </dd>
        </div>
      ))}
    </dl>
  );
}

/** A flag with its reasons: rationale, evidence, suggested action, and what to do. */
export function FlagCard({ flag, showClient = false }: { flag: FlagView; showClient?: boolean }) {
  return (
    <article className={`flag ${flag.severity} ${flag.status}`} data-testid="flag">
      <header>
        <Badge tone={SEVERITY_TONE[flag.severity]}>{words(flag.severity)}</Badge>{' '}
        <h3>{FLAG_LABEL[flag.code]}</h3>{' '}
        {origins(flag).map((origin) => (
          <Badge key={origin} tone="neutral" title="Who raised it">
            {origin}
          </Badge>
        ))}{' '}
        {flag.status !== 'open' && <Badge tone="good">{words(flag.status)}</Badge>}
      </header>
      <p className="muted small">
        {showClient && (
          <>
            <Link to={`/clients/${flag.client_id}`}>{flag.client_display_name}</Link> ·{' '}
          </>
        )}
        Week {flag.iso_week} · raised {dateTime(flag.created_at)}
      </p>
      {flag.rationale && <p className="client-text">{flag.rationale}</p>}
      <EvidenceList evidence={flag.evidence} />
      {flag.suggested_action && (
        <p>
          <strong>Suggested:</strong> <span className="client-text">{flag.suggested_action}</span>
        </p>
      )}
      {flag.status_note && (
        <p>
          <strong>Coach’s note:</strong> <span className="client-text">{flag.status_note}</span>
        </p>
      )}
      <FlagActions flag={flag} />
    </article>
  );
}
