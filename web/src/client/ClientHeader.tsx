import type { ClientDetail } from '../api/types';
import { Badge } from '../components/Badge';
import { CheckinBadge } from '../components/CheckinBadge';
import { FlagCountChips } from '../components/FlagCountChips';
import { JobCardBar } from '../components/JobCardBar';
import { useNow } from '../components/useNow';
import { dateTime, number, percent, relative, wallClock, words } from '../format';
import { StatusControl } from './StatusControl';

/** Who the client is and how they are doing, at a glance. */
export function ClientHeader({ detail }: { detail: ClientDetail }) {
  const { profile, summary, compliance_28d } = detail;
  const now = useNow();
  return (
    <header className="client-head">
      <div className="client-main">
        <div>
          <h1>
            {profile.display_name}{' '}
            {profile.status !== 'active' && <Badge tone="neutral">{words(profile.status)}</Badge>}
          </h1>
          <p className="muted">
            {words(profile.goal)}
            {profile.goal_weight_kg !== null && ` to ${number(profile.goal_weight_kg, 'kg')}`} · their time{' '}
            <strong>{wallClock(profile.time_zone, now)}</strong> ({profile.time_zone}) · Discord{' '}
            {profile.discord_user_id}
          </p>
        </div>
        <dl className="stats">
          <div>
            <dt>Job card today</dt>
            <dd>
              <JobCardBar card={summary.job_card} />
            </dd>
          </div>
          <div>
            <dt>Check-in today</dt>
            <dd>
              <CheckinBadge state={summary.checkin_today} />
            </dd>
          </div>
          <div>
            <dt>7 days</dt>
            <dd>{percent(summary.compliance_7d.rate)}</dd>
          </div>
          <div>
            <dt>28 days</dt>
            <dd>{percent(compliance_28d.rate)}</dd>
          </div>
          <div>
            <dt>Open flags</dt>
            <dd>
              <FlagCountChips counts={summary.open_flags} />
            </dd>
          </div>
          <div>
            <dt>Last activity</dt>
            <dd>
              {summary.last_activity_at ? (
                <time dateTime={summary.last_activity_at} title={dateTime(summary.last_activity_at)}>
                  {relative(summary.last_activity_at, now)}
                </time>
              ) : (
                'Never'
              )}
            </dd>
          </div>
        </dl>
      </div>
      <StatusControl profile={profile} />
    </header>
  );
}
