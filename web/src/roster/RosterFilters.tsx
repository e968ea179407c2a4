import { useId } from 'react';
import { DebouncedInput } from '../components/DebouncedInput';
import { words } from '../format';
import { SEVERITIES, SORTS, STATUSES, type RosterView } from './query';

interface Props {
  view: RosterView;
  onChange: (view: RosterView) => void;
}

function toggle<T>(values: T[], value: T): T[] {
  return values.includes(value) ? values.filter((v) => v !== value) : [...values, value];
}

// The browser's own list of zones, as suggestions; the api has the final word.
const TIME_ZONES = Intl.supportedValuesOf('timeZone');

export function RosterFilters({ view, onChange }: Props) {
  const zones = useId();
  // Any change but paging starts again from the first page.
  const update = (changes: Partial<RosterView>) => onChange({ ...view, ...changes, page: 1 });
  return (
    <div className="filters" role="search" aria-label="Roster filters">
      <label className="grow">
        Search
        <DebouncedInput
          type="search"
          placeholder="Name or Discord id"
          maxLength={80}
          value={view.q}
          onCommit={(q) => update({ q })}
        />
      </label>
      <fieldset>
        <legend>Status</legend>
        {STATUSES.map((status) => (
          <label key={status} className="check">
            <input
              type="checkbox"
              checked={view.statuses.includes(status)}
              onChange={() => update({ statuses: toggle(view.statuses, status) })}
            />
            {words(status)}
          </label>
        ))}
      </fieldset>
      <fieldset>
        <legend>Open flags</legend>
        {SEVERITIES.map((severity) => (
          <label key={severity} className="check">
            <input
              type="checkbox"
              checked={view.severities.includes(severity)}
              onChange={() => update({ severities: toggle(view.severities, severity) })}
            />
            {words(severity)}
          </label>
        ))}
      </fieldset>
      <label>
        Time zone
        <DebouncedInput
          placeholder="Any, e.g. Europe/London"
          list={zones}
          value={view.timeZone}
          onCommit={(timeZone) => update({ timeZone: timeZone.trim() })}
        />
        <datalist id={zones}>
          {TIME_ZONES.map((zone) => (
            <option key={zone} value={zone} />
          ))}
        </datalist>
      </label>
      <label>
        Sort
        <select
          value={SORTS.indexOf(view.sort)}
          onChange={(event) => update({ sort: SORTS[Number(event.target.value)] ?? view.sort })}
        >
          {SORTS.map((choice, index) => (
            <option key={choice.label} value={index}>
              {choice.label}
            </option>
          ))}
        </select>
      </label>
    </div>
  );
}
