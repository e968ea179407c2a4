import { useHealth, useSystemStatus } from '../api/hooks';
import type { Health, SystemStatus } from '../api/types';
import { Badge } from '../components/Badge';
import { Panel } from '../components/Panel';
import { Resource } from '../components/States';
import { dateTime, number } from '../format';
import { DeadLetters } from './DeadLetters';

function Dependencies({ health }: { health: Health }) {
  return (
    <ul className="deps">
      {(['postgres', 'redis'] as const).map((name) => {
        const dependency = health[name];
        return (
          <li key={name}>
            <Badge tone={dependency.status === 'ok' ? 'good' : 'bad'}>{dependency.status === 'ok' ? 'Up' : 'Down'}</Badge>{' '}
            {name === 'postgres' ? 'PostgreSQL' : 'Redis'}
            {dependency.error && <span className="muted"> · {dependency.error}</span>}
          </li>
        );
      })}
    </ul>
  );
}

function Services({ status }: { status: SystemStatus }) {
  return (
    <table className="stack-on-phone">
      <thead>
        <tr>
          <th scope="col">Service</th>
          <th scope="col">Heartbeat</th>
          <th scope="col">Last beat</th>
          <th scope="col">Instance</th>
        </tr>
      </thead>
      <tbody>
        {status.services.map((beat) => (
          <tr key={beat.service}>
            <th scope="row" data-label="Service">
              {beat.service}
            </th>
            <td data-label="Heartbeat">
              <Badge tone={beat.alive ? 'good' : 'bad'}>{beat.alive ? 'Alive' : 'No heartbeat'}</Badge>
            </td>
            <td data-label="Last beat">
              {beat.at ? (
                <time dateTime={beat.at} title={dateTime(beat.at)}>
                  {number(beat.age_seconds)} s ago
                </time>
              ) : (
                '—'
              )}
            </td>
            <td data-label="Instance">{beat.instance ?? '—'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Streams({ status }: { status: SystemStatus }) {
  return (
    <table className="stack-on-phone">
      <thead>
        <tr>
          <th scope="col">Stream</th>
          <th scope="col">Length</th>
          <th scope="col">Group</th>
          <th scope="col">Consumers</th>
          <th scope="col">Pending</th>
          <th scope="col">Lag</th>
        </tr>
      </thead>
      <tbody>
        {status.streams.flatMap((stream) => {
          const groups = stream.groups.length ? stream.groups : [null];
          return groups.map((group) => (
            <tr key={`${stream.stream}:${group?.name ?? ''}`}>
              <th scope="row" data-label="Stream">
                {stream.stream}
              </th>
              <td data-label="Length">{number(stream.length)}</td>
              <td data-label="Group">{group?.name ?? <span className="muted">No group yet</span>}</td>
              <td data-label="Consumers">{group ? number(group.consumers) : '—'}</td>
              <td data-label="Pending" className={group && group.pending > 0 ? 'attention' : ''}>
                {group ? number(group.pending) : '—'}
              </td>
              <td data-label="Lag" className={group?.lag ? 'attention' : ''}>
                {group ? (group.lag === null ? 'unknown' : number(group.lag)) : '—'}
              </td>
            </tr>
          ));
        })}
      </tbody>
    </table>
  );
}

export function SystemPage() {
  const health = useHealth();
  const status = useSystemStatus();
  return (
    <section className="page" aria-labelledby="system-title">
      <div className="page-head">
        <h1 id="system-title">System</h1>
        <p className="muted">Refreshed every 10 seconds.</p>
      </div>
      <div className="grid">
        <Panel title="Dependencies">
          <Resource result={health} what="health">
            {(data) => <Dependencies health={data} />}
          </Resource>
        </Panel>
        <Panel title="Services">
          <Resource result={status} what="heartbeats">
            {(data) => <Services status={data} />}
          </Resource>
        </Panel>
        <Panel title="Streams" className="wide">
          <Resource result={status} what="streams">
            {(data) => (
              <>
                <Streams status={data} />
                <p className="muted">
                  Pending: read, not yet acknowledged. Lag: not yet read. Dead letters: {number(data.dead_letters)}.
                </p>
              </>
            )}
          </Resource>
        </Panel>
        <DeadLetters />
      </div>
    </section>
  );
}
