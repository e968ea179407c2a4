import { useState } from 'react';
import { Link } from 'react-router';
import { useLst, useUpcoming } from '../api/hooks';
import type { Lst, LstTrigger } from '../api/types';
import { Badge } from '../components/Badge';
import { Pager } from '../components/Pager';
import { Panel } from '../components/Panel';
import { Resource } from '../components/States';
import { useNow } from '../components/useNow';
import { dateTime, relative, words } from '../format';

const PAGE = 25;

function TriggerRow({ trigger }: { trigger: LstTrigger }) {
  return (
    <tr>
      <th scope="row" data-label="Trigger">
        <code>{trigger.trigger}</code>
        <div className="muted small">{trigger.description}</div>
      </th>
      <td data-label="When">
        {trigger.when} <Badge tone="neutral">{words(trigger.clock)}</Badge>
      </td>
      <td data-label="Emits">
        <code>{trigger.emits}</code>
        {trigger.delivery_kind && <div className="muted small">{words(trigger.delivery_kind)}</div>}
      </td>
      <td data-label="Answer by">{trigger.deadline}</td>
      <td data-label="If missed">
        <code>{trigger.missed_policy}</code>
        <div className="muted small">{trigger.missed_policy_meaning}</div>
      </td>
    </tr>
  );
}

function LstTables({ lst }: { lst: Lst }) {
  return (
    <>
      {lst.engines.map((engine) => (
        <Panel key={engine.id} title={`Engine: ${engine.id}`} className="wide">
          <p className="muted">{engine.description}</p>
          <div className="table-wrap">
            <table className="stack-on-phone">
              <thead>
                <tr>
                  <th scope="col">Trigger</th>
                  <th scope="col">When</th>
                  <th scope="col">Emits</th>
                  <th scope="col">Answer by</th>
                  <th scope="col">If missed</th>
                </tr>
              </thead>
              <tbody>
                {engine.triggers.map((trigger) => (
                  <TriggerRow key={trigger.trigger} trigger={trigger} />
                ))}
              </tbody>
            </table>
          </div>
        </Panel>
      ))}
    </>
  );
}

function Upcoming({ engines }: { engines: string[] }) {
  const [offset, setOffset] = useState(0);
  const [engine, setEngine] = useState('');
  const upcoming = useUpcoming(PAGE, offset, engine || undefined);
  const now = useNow();
  return (
    <Panel
      title="Coming up"
      className="wide"
      actions={
        <label>
          Engine{' '}
          <select
            value={engine}
            onChange={(event) => {
              setEngine(event.target.value);
              setOffset(0);
            }}
          >
            <option value="">All</option>
            {engines.map((id) => (
              <option key={id} value={id}>
                {id}
              </option>
            ))}
          </select>
        </label>
      }
    >
      <Resource
        result={upcoming}
        what="upcoming fires"
        empty={(page) => (page.items.length === 0 ? 'Nothing planned: no active client has a trigger coming up.' : null)}
      >
        {(page) => (
          <>
            <div className="table-wrap">
              <table className="stack-on-phone">
                <thead>
                  <tr>
                    <th scope="col">When</th>
                    <th scope="col">Client</th>
                    <th scope="col">Trigger</th>
                    <th scope="col">Their time</th>
                  </tr>
                </thead>
                <tbody>
                  {page.items.map((fire) => (
                    <tr key={`${fire.client_id}:${fire.engine}.${fire.trigger}:${fire.local_date}`}>
                      <td data-label="When">
                        <time dateTime={fire.at} title={dateTime(fire.at)}>
                          {relative(fire.at, now)}
                        </time>
                      </td>
                      <th scope="row" data-label="Client">
                        <Link to={`/clients/${fire.client_id}`}>{fire.display_name}</Link>
                      </th>
                      <td data-label="Trigger">
                        <code>
                          {fire.engine}.{fire.trigger}
                        </code>
                      </td>
                      <td data-label="Their time">
                        {dateTime(fire.at, fire.time_zone)} <span className="muted small">{fire.time_zone}</span>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <Pager label="Upcoming fires" total={page.total} limit={page.limit} offset={page.offset} onOffset={setOffset} />
          </>
        )}
      </Resource>
    </Panel>
  );
}

export function SchedulePage() {
  const lst = useLst();
  return (
    <section className="page" aria-labelledby="schedule-title">
      <div className="page-head">
        <h1 id="schedule-title">Schedule</h1>
        <p className="muted">Every engine’s triggers (the LST), and what fires next.</p>
      </div>
      <Resource result={lst} what="the schedule table">
        {(data) => (
          <>
            <Upcoming engines={data.engines.map((engine) => engine.id)} />
            <LstTables lst={data} />
          </>
        )}
      </Resource>
    </section>
  );
}
