// The roster's view (search, filters, sort, page) lives in the address bar, so the
// back button, a reload and a shared link all show the same roster.
import type { ClientStatus, FlagSeverity, RosterQuery, RosterSort, SortOrder } from '../api/types';

export const STATUSES: ClientStatus[] = ['active', 'onboarding', 'paused', 'archived'];
export const SEVERITIES: FlagSeverity[] = ['high', 'medium', 'low'];
export const PAGE_SIZES = [25, 50, 100, 200];

interface SortChoice {
  sort: RosterSort;
  order: SortOrder;
  label: string;
}

export const SORTS: SortChoice[] = [
  { sort: 'open_flags', order: 'desc', label: 'Most flagged first' },
  { sort: 'compliance_7d', order: 'asc', label: 'Lowest 7-day compliance first' },
  { sort: 'last_activity', order: 'asc', label: 'Quietest first' },
  { sort: 'last_activity', order: 'desc', label: 'Most recently active first' },
  { sort: 'compliance_7d', order: 'desc', label: 'Highest 7-day compliance first' },
  { sort: 'name', order: 'asc', label: 'Name, A to Z' },
  { sort: 'name', order: 'desc', label: 'Name, Z to A' },
];

export const DEFAULT_SORT = SORTS[0] as SortChoice;
const DEFAULT_SIZE = 50;

export interface RosterView {
  q: string;
  statuses: ClientStatus[];
  severities: FlagSeverity[];
  timeZone: string;
  sort: SortChoice;
  size: number;
  page: number;
}

function oneOf<T extends string>(values: readonly T[], candidates: string[]): T[] {
  return values.filter((value) => candidates.includes(value));
}

export function readView(params: URLSearchParams): RosterView {
  const sortKey = params.get('sort');
  const size = Number(params.get('size'));
  const page = Number(params.get('page'));
  return {
    q: params.get('q') ?? '',
    statuses: oneOf(STATUSES, params.getAll('status')),
    severities: oneOf(SEVERITIES, params.getAll('severity')),
    timeZone: params.get('tz') ?? '',
    sort: SORTS.find((choice) => `${choice.sort}:${choice.order}` === sortKey) ?? DEFAULT_SORT,
    size: PAGE_SIZES.includes(size) ? size : DEFAULT_SIZE,
    page: Number.isInteger(page) && page > 1 ? page : 1,
  };
}

export function writeView(view: RosterView): URLSearchParams {
  const params = new URLSearchParams();
  if (view.q) params.set('q', view.q);
  view.statuses.forEach((status) => params.append('status', status));
  view.severities.forEach((severity) => params.append('severity', severity));
  if (view.timeZone) params.set('tz', view.timeZone);
  if (view.sort !== DEFAULT_SORT) params.set('sort', `${view.sort.sort}:${view.sort.order}`);
  if (view.size !== DEFAULT_SIZE) params.set('size', String(view.size));
  if (view.page > 1) params.set('page', String(view.page));
  return params;
}

export function isFiltered(view: RosterView): boolean {
  return Boolean(view.q.trim() || view.statuses.length || view.severities.length || view.timeZone);
}

export function toQuery(view: RosterView): RosterQuery {
  return {
    // The api wants 1 to 80 characters, or no search at all.
    q: view.q.trim().slice(0, 80) || undefined,
    status: view.statuses.length ? view.statuses : undefined,
    flag_severity: view.severities.length ? view.severities : undefined,
    time_zone: view.timeZone ? [view.timeZone] : undefined,
    sort: view.sort.sort,
    order: view.sort.order,
    limit: view.size,
    offset: (view.page - 1) * view.size,
  };
}
