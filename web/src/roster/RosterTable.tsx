import { Link } from 'react-router';
import type { ClientSummary } from '../api/types';
import { Badge } from '../components/Badge';
import { CheckinBadge } from '../components/CheckinBadge';
import { FlagCountChips } from '../components/FlagCountChips';
import { JobCardBar } from '../components/JobCardBar';
import { Sparkline } from '../components/Sparkline';
import { useNow } from '../components/useNow';
import { dateTime, percent, relative, wallClock, words } from '../format';

/** Who needs the coach: a high flag, or today's check-in missed. */
function urgency(client: ClientSummary): string {
  if (client.open_flags.high > 0 || client.checkin_today === 'missed') return 'urgent';
  if (client.open_flags.medium > 0) return 'watch';
  return '';
}

function Row({ client, now }: { client: ClientSummary; now: Date }) {
  return (
    <tr className={urgency(client)} data-testid="roster-row">
      <th scope="row" data-label="Client">
        <Link to={`/clients/${client.id}`}>{client.display_name}</Link>
        {client.status !== 'active' && (
          <>
            {' '}
            <Badge tone="neutral">{words(client.status)}</Badge>
          </>
        )}
      </th>
      <td data-label="Their time">
        {wallClock(client.time_zone, now)}
        <span className="muted small"> {client.time_zone}</span>
      </td>
      <td data-label="Job card">
        <JobCardBar card={client.job_card} />
      </td>
      <td data-label="Check-in">
        <CheckinBadge state={client.checkin_today} />
      </td>
      <td data-label="7 days">
        <span className="spark-cell">
          <Sparkline days={client.compliance_daily} />
          <span>{percent(client.compliance_7d.rate)}</span>
        </span>
      </td>
      <td data-label="Open flags">
        <FlagCountChips counts={client.open_flags} />
      </td>
      <td data-label="Last activity">
        {client.last_activity_at ? (
          <time dateTime={client.last_activity_at} title={dateTime(client.last_activity_at)}>
            {relative(client.last_activity_at, now)}
          </time>
        ) : (
          <span className="muted">Never</span>
        )}
      </td>
    </tr>
  );
}

export function RosterTable({ clients }: { clients: ClientSummary[] }) {
  const now = useNow();
  return (
    <div className="table-wrap">
      <table className="roster stack-on-phone">
        <caption className="visually-hidden">Clients, with today’s status in their own time</caption>
        <thead>
          <tr>
            <th scope="col">Client</th>
            <th scope="col">Their time</th>
            <th scope="col">Job card</th>
            <th scope="col">Check-in</th>
            <th scope="col">7 days</th>
            <th scope="col">Open flags</th>
            <th scope="col">Last activity</th>
          </tr>
        </thead>
        <tbody>
          {clients.map((client) => (
            <Row key={client.id} client={client} now={now} />
          ))}
        </tbody>
      </table>
    </div>
  );
}
