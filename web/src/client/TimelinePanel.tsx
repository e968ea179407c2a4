import { useState } from 'react';
import { useTimelinePage } from '../api/hooks';
import type { EntryKind } from '../api/types';
import { Panel } from '../components/Panel';
import { ErrorNotice, Loading } from '../components/States';
import { words } from '../format';
import { TimelineEntry } from './TimelineEntry';

const KINDS: EntryKind[] = ['checkin', 'meal', 'workout', 'weight', 'job_card', 'delivery', 'missed', 'dm'];

interface PageProps {
  clientId: string;
  timeZone: string;
  kinds: EntryKind[];
  before: string | null;
  /** Given to the last page only: ask for the page after it. */
  onMore?: (before: string) => void;
}

/** One page of entries, as list items of the timeline's list. */
function TimelinePage({ clientId, timeZone, kinds, before, onMore }: PageProps) {
  const page = useTimelinePage(clientId, kinds, before);
  if (!page.data) {
    return (
      <li className="entry">
        {page.error ? <ErrorNotice error={page.error} onRetry={() => void page.mutate()} /> : <Loading what="the timeline" />}
      </li>
    );
  }
  if (before === null && page.data.items.length === 0) {
    return <li className="entry state empty">Nothing recorded yet{kinds.length ? ' of these kinds' : ''}.</li>;
  }
  const next = page.data.next_before;
  return (
    <>
      {page.data.items.map((entry) => (
        <TimelineEntry key={`${entry.kind}:${entry.id}`} entry={entry} timeZone={timeZone} />
      ))}
      {onMore && next && (
        <li className="more">
          <button type="button" onClick={() => onMore(next)}>
            Show older
          </button>
        </li>
      )}
    </>
  );
}

export function TimelinePanel({ clientId, timeZone }: { clientId: string; timeZone: string }) {
  const [kinds, setKinds] = useState<EntryKind[]>([]);
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const toggle = (kind: EntryKind) => {
    setKinds(kinds.includes(kind) ? kinds.filter((k) => k !== kind) : [...kinds, kind]);
    setCursors([null]);
  };
  return (
    <Panel title="Timeline" className="wide">
      <fieldset className="kinds">
        <legend>Show only (none ticked: everything; times are the client’s)</legend>
        {KINDS.map((kind) => (
          <label key={kind} className="check">
            <input type="checkbox" checked={kinds.includes(kind)} onChange={() => toggle(kind)} />
            {words(kind)}
          </label>
        ))}
      </fieldset>
      <ol className="timeline">
        {cursors.map((before, index) => (
          <TimelinePage
            key={before ?? 'newest'}
            clientId={clientId}
            timeZone={timeZone}
            kinds={kinds}
            before={before}
            onMore={index === cursors.length - 1 ? (next) => setCursors([...cursors, next]) : undefined}
          />
        ))}
      </ol>
    </Panel>
  );
}
