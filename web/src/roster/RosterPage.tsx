import { useRoster } from '../api/hooks';
import { Pager } from '../components/Pager';
import { Resource } from '../components/States';
import { number } from '../format';
import { RosterFilters } from './RosterFilters';
import { RosterTable } from './RosterTable';
import { PAGE_SIZES, isFiltered, toQuery } from './query';
import { useRosterView } from './useRosterView';

export function RosterPage() {
  const [view, show] = useRosterView();
  const roster = useRoster(toQuery(view));
  return (
    <section className="page" aria-labelledby="roster-title">
      <div className="page-head">
        <h1 id="roster-title">Roster</h1>
        {roster.data && (
          <p className="muted" aria-live="polite">
            {number(roster.data.total)} {roster.data.total === 1 ? 'client' : 'clients'}
            {/* The last answer stays on screen while the next is on its way. */}
            {roster.isValidating && ' · updating…'}
          </p>
        )}
      </div>
      <RosterFilters view={view} onChange={show} />
      <Resource
        result={roster}
        what="the roster"
        empty={(page) =>
          page.items.length > 0
            ? null
            : isFiltered(view)
              ? 'No client matches these filters.'
              : 'No clients yet: a client joins when the coach adds them on Discord (/client add).'
        }
      >
        {(page) => (
          <>
            <RosterTable clients={page.items} />
            <Pager
              label="Roster"
              total={page.total}
              limit={page.limit}
              offset={page.offset}
              onOffset={(offset) => show({ ...view, page: offset / view.size + 1 })}
              sizes={PAGE_SIZES}
              onLimit={(size) => show({ ...view, size, page: 1 })}
            />
          </>
        )}
      </Resource>
    </section>
  );
}
