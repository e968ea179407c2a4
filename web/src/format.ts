// Display formatting. Times are shown on the clock that matters for them: the client's
// own (their time zone) or the coach's browser, always saying which.

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(key: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  let found = formatters.get(key);
  if (!found) {
    found = new Intl.DateTimeFormat('en-GB', options);
    formatters.set(key, found);
  }
  return found;
}

/** "Tue 07:42": the wall clock in `timeZone` at `at`. */
export function wallClock(timeZone: string, at: Date): string {
  return formatter(`clock:${timeZone}`, {
    timeZone,
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(at);
}

/** "Tue 26 Nov, 07:30" in `timeZone` (the browser's when left out). */
export function dateTime(iso: string, timeZone?: string): string {
  return formatter(`datetime:${timeZone ?? ''}`, {
    timeZone,
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(new Date(iso));
}

/** "Thu 26 Nov" for a calendar date ("2026-11-26"), which has no time zone. */
export function dayLabel(localDate: string): string {
  return formatter('day', { timeZone: 'UTC', weekday: 'short', day: 'numeric', month: 'short' }).format(
    new Date(`${localDate}T00:00:00Z`),
  );
}

/** "3 h ago", "in 20 min", "just now". */
export function relative(iso: string, now: Date): string {
  const seconds = Math.round((new Date(iso).getTime() - now.getTime()) / 1000);
  const size = Math.abs(seconds);
  if (size < 60) return 'just now';
  const [amount, unit] =
    size < 3600
      ? [Math.round(size / 60), 'min']
      : size < 86_400
        ? [Math.round(size / 3600), 'h']
        : [Math.round(size / 86_400), size < 2 * 86_400 ? 'day' : 'days'];
  return seconds < 0 ? `${amount} ${unit} ago` : `in ${amount} ${unit}`;
}

/** "83%", or an em dash when nothing was due (a rate of null). */
export function percent(rate: number | null | undefined): string {
  return rate === null || rate === undefined ? '—' : `${Math.round(rate * 100)}%`;
}

export function number(value: number | null | undefined, unit = ''): string {
  if (value === null || value === undefined) return '—';
  return `${value.toLocaleString('en-GB')}${unit ? ` ${unit}` : ''}`;
}

/** "hh:mm:ss" times from the api ("07:30:00") as "07:30". */
export function clockTime(time: string | null): string {
  return time ? time.slice(0, 5) : '—';
}

/** "fat_loss" → "Fat loss": for enum values shown as they are. */
export function words(value: string): string {
  const spaced = value.replaceAll('_', ' ').toLowerCase();
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
}
