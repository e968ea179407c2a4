import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useSWRConfig } from 'swr';
import { api, call } from '../api/client';
import { ApiError } from '../api/errors';
import { useClientSchedule, useLst, useRevalidate } from '../api/hooks';
import type { ClientSchedule, Lst, ScheduleEntry, Weekday } from '../api/types';
import { Badge } from '../components/Badge';
import { Field } from '../components/Field';
import { Panel } from '../components/Panel';
import { ErrorNotice, Resource } from '../components/States';
import { clockTime, dateTime, words } from '../format';
import { scheduleChange, validateTime, valuesOf, type ScheduleValues } from './scheduleForm';

const PATH = '/clients/{client_id}/schedule/{engine}/{trigger}';

/** Everything a write to one trigger changes: this schedule, and the roster-wide plan. */
const CHANGED_BY_OVERRIDE = ['client_schedule_get', 'upcoming_fires_list'];

const keyOf = (entry: ScheduleEntry) => `${entry.engine}.${entry.trigger}`;
const nameOf = (entry: ScheduleEntry) => words(entry.trigger);

function days(weekdays: Weekday[]): string {
  return weekdays.length === 7 ? 'Every day' : weekdays.map(words).join(' ');
}

/** The trigger's same-day answer deadline ("12:00:00"), from the LST, when it has one. */
function deadlineOf(lst: Lst | undefined, entry: ScheduleEntry): string | null {
  const engine = lst?.engines.find((e) => e.id === entry.engine);
  return engine?.triggers.find((t) => t.trigger === entry.trigger)?.deadline_at ?? null;
}

/** What the coach is told once a write is in. */
function outcome(entry: ScheduleEntry): string {
  const name = nameOf(entry);
  if (!entry.override) return `${name} is back to its default, ${clockTime(entry.default_time)}.`;
  if (!entry.enabled) return `${name} is turned off for this client.`;
  return `${name} now at ${clockTime(entry.local_time)} on the client’s clock.`;
}

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

function Time({ entry }: { entry: ScheduleEntry }) {
  const custom = entry.override !== null && clockTime(entry.local_time) !== clockTime(entry.default_time);
  return (
    <>
      {entry.enabled ? clockTime(entry.local_time) : <Badge tone="neutral">Off</Badge>}{' '}
      <span className="muted small">
        {custom || !entry.enabled ? `default ${clockTime(entry.default_time)}` : 'default'}
      </span>
      <div className="muted small">{days(entry.weekdays)}</div>
    </>
  );
}

interface EditProps {
  entry: ScheduleEntry;
  deadline: string | null;
  onSave: (values: ScheduleValues) => Promise<void>;
  onCancel: () => void;
}

/** The trigger's time on the client's clock, and whether it is sent at all. */
function EditTrigger({ entry, deadline, onSave, onCancel }: EditProps) {
  const [values, setValues] = useState<ScheduleValues>(() => valuesOf(entry));
  const [timeError, setTimeError] = useState<string>();
  const [error, setError] = useState<unknown>(null);
  const [saving, setSaving] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const name = nameOf(entry);

  useEffect(() => input.current?.focus(), []);

  const set = (changes: Partial<ScheduleValues>) => {
    setValues((current) => ({ ...current, ...changes }));
    setTimeError(undefined);
  };

  const save = async (event: FormEvent) => {
    event.preventDefault();
    const problem = validateTime(values, deadline);
    setTimeError(problem);
    if (problem) {
      input.current?.focus();
      return;
    }
    setSaving(true);
    setError(null);
    try {
      await onSave(values);
    } catch (failure) {
      const field = failure instanceof ApiError ? failure.details.find((d) => d.field === 'body.local_time') : undefined;
      if (field) {
        setTimeError(field.message);
        input.current?.focus();
      }
      setError(failure);
      setSaving(false);
    }
  };

  const hint = [
    `24-hour HH:MM; default ${clockTime(entry.default_time)}`,
    deadline && `answers close at ${clockTime(deadline)}`,
  ]
    .filter(Boolean)
    .join('; ');

  return (
    <form className="trigger-edit" aria-label={`Change ${name}`} onSubmit={(event) => void save(event)} noValidate>
      <Field label={`${name} time (client’s clock)`} error={timeError} hint={hint}>
        <input
          ref={input}
          value={values.time}
          inputMode="numeric"
          autoComplete="off"
          placeholder="HH:MM"
          maxLength={5}
          size={6}
          onChange={(event) => set({ time: event.target.value })}
        />
      </Field>
      <label className="check">
        <input type="checkbox" checked={values.enabled} onChange={(event) => set({ enabled: event.target.checked })} />
        Send {name.toLowerCase()}
      </label>
      {!values.enabled && <p className="muted small">Turned off, this client gets no {name.toLowerCase()}.</p>}
      <div className="form-actions">
        <button type="submit" className="primary" disabled={saving}>
          {saving ? 'Saving…' : 'Save'}
        </button>
        <button type="button" className="quiet" disabled={saving} onClick={onCancel}>
          Cancel
        </button>
      </div>
      {error ? <ErrorNotice error={error} /> : null}
    </form>
  );
}

interface RowProps {
  clientId: string;
  entry: ScheduleEntry;
  timeZone: string;
  deadline: string | null;
  onChanged: (entry: ScheduleEntry, said: string) => Promise<void>;
}

/** One trigger: its row, and under it the edit form or what went wrong. */
function TriggerRow({ clientId, entry, timeZone, deadline, onChanged }: RowProps) {
  const [editing, setEditing] = useState(false);
  const [resetting, setResetting] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const editButton = useRef<HTMLButtonElement>(null);
  const returnFocus = useRef(false);
  const name = nameOf(entry);
  const path = { params: { path: { client_id: clientId, engine: entry.engine, trigger: entry.trigger } } };

  useEffect(() => {
    if (!editing && returnFocus.current) editButton.current?.focus();
    returnFocus.current = false;
  }, [editing]);

  const close = () => {
    returnFocus.current = true;
    setEditing(false);
  };

  const save = async (values: ScheduleValues) => {
    const change = scheduleChange(entry, values);
    if (change === null) {
      close();
      return;
    }
    const saved = await call(
      change.kind === 'put' ? api.PUT(PATH, { ...path, body: change.body }) : api.DELETE(PATH, path),
    );
    await onChanged(saved, outcome(saved));
    close();
  };

  const reset = async () => {
    setResetting(true);
    setError(null);
    try {
      const saved = await call(api.DELETE(PATH, path));
      await onChanged(saved, outcome(saved));
    } catch (failure) {
      setError(failure);
    } finally {
      setResetting(false);
    }
  };

  return (
    <>
      <tr className={entry.enabled ? undefined : 'off'}>
        <th scope="row" data-label="Trigger">
          {name}
          {entry.override && (
            <>
              {' '}
              <Badge tone="info" title="Changed for this client">
                Custom
              </Badge>
            </>
          )}
          <div className="muted small clamp" title={entry.description}>
            {entry.description}
          </div>
        </th>
        <td data-label="Time">
          <Time entry={entry} />
        </td>
        <td data-label="Next">
          <When entry={entry} timeZone={timeZone} />
        </td>
        <td className="row-actions">
          <button
            type="button"
            ref={editButton}
            disabled={editing || resetting}
            aria-expanded={editing}
            onClick={() => {
              setError(null);
              setEditing(true);
            }}
          >
            Edit <span className="visually-hidden">{name}</span>
          </button>
          {entry.override && (
            <button type="button" className="quiet" disabled={editing || resetting} onClick={() => void reset()}>
              {resetting ? 'Resetting… ' : 'Reset '}
              <span className="visually-hidden">{name} to its default</span>
            </button>
          )}
        </td>
      </tr>
      {(editing || error !== null) && (
        <tr className="row-detail">
          <td colSpan={4}>
            {editing ? (
              <EditTrigger entry={entry} deadline={deadline} onSave={save} onCancel={close} />
            ) : (
              <ErrorNotice error={error} />
            )}
          </td>
        </tr>
      )}
    </>
  );
}

/** The client's triggers on their own clock: when each fires next, and the coach's
 * changes to them (time, on or off, back to the default). */
export function SchedulePanel({ clientId }: { clientId: string }) {
  const schedule = useClientSchedule(clientId);
  const lst = useLst(); // the answer deadlines, for the time hints and checks
  const [said, setSaid] = useState('');
  const { mutate } = useSWRConfig();
  const revalidate = useRevalidate();

  const onChanged = async (saved: ScheduleEntry, message: string) => {
    // The api answers with the trigger as it now is: shown at once, then everything refreshed.
    await mutate(
      ['client_schedule_get', clientId],
      (current?: ClientSchedule) =>
        current && { ...current, entries: current.entries.map((e) => (keyOf(e) === keyOf(saved) ? saved : e)) },
      { revalidate: false },
    );
    setSaid(message);
    void revalidate(...CHANGED_BY_OVERRIDE);
  };

  return (
    <Panel title="Schedule" className="schedule">
      <p role="status" className="ok small">
        {said}
      </p>
      <Resource
        result={schedule}
        what="the schedule"
        empty={(data) => (data.entries.length === 0 ? 'No client-timed triggers.' : null)}
      >
        {(data) => (
          <>
            {!data.fires && (
              <p className="notice">
                Only active clients get scheduled messages; this client is {data.status}. Changes made here apply
                once they are active again.
              </p>
            )}
            <table className="compact stack-on-phone">
              <caption className="muted small">Times on the client’s clock, {data.time_zone}</caption>
              <thead>
                <tr>
                  <th scope="col">Trigger</th>
                  <th scope="col">Time</th>
                  <th scope="col">Next</th>
                  <th scope="col">
                    <span className="visually-hidden">Change</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {data.entries.map((entry) => (
                  <TriggerRow
                    key={keyOf(entry)}
                    clientId={clientId}
                    entry={entry}
                    timeZone={data.time_zone}
                    deadline={deadlineOf(lst.data, entry)}
                    onChanged={onChanged}
                  />
                ))}
              </tbody>
            </table>
          </>
        )}
      </Resource>
    </Panel>
  );
}
