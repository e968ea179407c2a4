import { useClientSchedule } from '../api/hooks';
import type { ScheduleEntry } from '../api/types';
import { Badge } from '../components/Badge';
import { Panel } from '../components/Panel';
import { Resource } from '../components/States';
import { clockTime, dateTime, words } from '../format';

function When({ entry, timeZone }: { entry: ScheduleEntry; timeZone: string }) {
  if (entry.problem) return <span className="field-error">{entry.problem}</span>;
  if (!entry.next_fire) return <span className="muted">{entry.enabled ? 'Not scheduled' : 'Turned off'}</span>;
  return (
    <time dateTime={entry.next_fire.local}>
      {dateTime(entry.next_fire.at, timeZone)}
      {entry.next_fire.deadline_at && (
        <span className="muted small"> · answer by {dateTime(entry.next_fire.deadline_at, timeZone)}</span>
      )}
    </time>
  );
}

/** The client's triggers and when each fires next, on the client's clock. */
export function NextFires({ clientId }: { clientId: string }) {
  const schedule = useClientSchedule(clientId);
  return (
    <Panel title="Next scheduled">
      <Resource
        result={schedule}
        what="the schedule"
        empty={(data) => (data.entries.length === 0 ? 'No client-timed triggers.' : null)}
      >
        {(data) => (
          <>
            {!data.fires && (
              <p className="notice">Only active clients get scheduled messages; this client is {data.status}.</p>
            )}
            <table className="compact stack-on-phone">
              <caption className="muted small">Times in the client’s zone, {data.time_zone}</caption>
              <thead>
                <tr>
                  <th scope="col">Trigger</th>
                  <th scope="col">At</th>
                  <th scope="col">Next</th>
                </tr>
              </thead>
              <tbody>
                {data.entries.map((entry) => (
                  <tr key={`${entry.engine}.${entry.trigger}`}>
                    <th scope="row" data-label="Trigger">
                      {entry.description}
                      {entry.override && (
                        <>
                          {' '}
                          <Badge tone="info" title="Changed for this client">Custom</Badge>
                        </>
                      )}
                    </th>
                    <td data-label="At">
                      {clockTime(entry.local_time)}{' '}
                      <span className="muted small">{entry.weekdays.map(words).join(' ')}</span>
                    </td>
                    <td data-label="Next">
                      <When entry={entry} timeZone={data.time_zone} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </Resource>
    </Panel>
  );
}
