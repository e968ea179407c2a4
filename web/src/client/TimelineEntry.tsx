import type { TimelineEntry as Entry } from '../api/types';
import { Badge, type Tone } from '../components/Badge';
import { dateTime, dayLabel, number, words } from '../format';

const KIND_LABEL: Record<Entry['kind'], string> = {
  checkin: 'Check-in',
  meal: 'Meal',
  workout: 'Workout',
  weight: 'Weigh-in',
  job_card: 'Job card',
  delivery: 'Message to client',
  missed: 'Missed',
  dm: 'Message from client',
};

export const DELIVERY_TONE: Record<string, Tone> = {
  queued: 'info',
  sent: 'good',
  dry_run: 'neutral',
  failed: 'bad',
  missed: 'bad',
};

const ITEM_MARK: Record<string, string> = { done: '✓', skipped: '–', missed: '✗', pending: '○' };

/** Only web addresses become images: a `javascript:` or `data:` URL from a client stays text. */
function isWebUrl(url: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(url).protocol);
  } catch {
    return false;
  }
}

function Body({ entry }: { entry: Entry }) {
  switch (entry.kind) {
    case 'checkin':
      return (
        <>
          <p className="facts">
            Weight {number(entry.weight_kg, 'kg')} · Sleep {number(entry.sleep_hours, 'h')} · Energy{' '}
            {entry.energy === null ? '—' : `${entry.energy}/10`}
          </p>
          {entry.notes && <p className="client-text">{entry.notes}</p>}
        </>
      );
    case 'meal':
      return (
        <div className="meal">
          {entry.photo_url && isWebUrl(entry.photo_url) && (
            <a href={entry.photo_url} target="_blank" rel="noopener noreferrer">
              <img
                className="thumb"
                src={entry.photo_url}
                alt={`Photo of the meal: ${entry.description}`}
                loading="lazy"
                referrerPolicy="no-referrer"
                width={64}
                height={64}
              />
            </a>
          )}
          <div>
            <p className="client-text">{entry.description}</p>
            <p className="facts">
              {number(entry.kcal, 'kcal')} · P {number(entry.protein_g, 'g')} · C {number(entry.carbs_g, 'g')} · F{' '}
              {number(entry.fat_g, 'g')}
            </p>
          </div>
        </div>
      );
    case 'workout':
      return (
        <p className="client-text">
          {entry.description}
          {entry.duration_min !== null && <span className="muted"> · {entry.duration_min} min</span>}
        </p>
      );
    case 'weight':
      return <p className="facts">{number(entry.weight_kg, 'kg')}</p>;
    case 'job_card':
      return (
        <ul className="items" aria-label={`Job card for ${dayLabel(entry.local_date)}`}>
          {entry.items.map((item) => (
            <li key={item.id} className={item.status}>
              <span aria-hidden="true">{ITEM_MARK[item.status]}</span> {item.label}{' '}
              <span className="visually-hidden">({item.status})</span>
            </li>
          ))}
        </ul>
      );
    case 'delivery':
      return (
        <>
          <p className="facts">
            <Badge tone={DELIVERY_TONE[entry.status] ?? 'neutral'}>{words(entry.status)}</Badge>{' '}
            {words(entry.delivery_kind)}
            {entry.last_error && <span className="muted"> · {entry.last_error}</span>}
          </p>
          <p className="client-text">{entry.text}</p>
        </>
      );
    case 'missed':
      return (
        <p className="facts">
          {entry.engine}.{entry.trigger} for {dayLabel(entry.local_date)}
          {entry.reason && <span className="muted"> · {words(entry.reason)}</span>}
        </p>
      );
    case 'dm':
      return <p className="client-text">{entry.text}</p>;
  }
}

/** One timeline row; every text the client (or coach) wrote is rendered as text. */
export function TimelineEntry({ entry, timeZone }: { entry: Entry; timeZone: string }) {
  return (
    <li className={`entry ${entry.kind}`} data-testid="timeline-entry">
      <div className="entry-head">
        <strong>{KIND_LABEL[entry.kind]}</strong>
        <time dateTime={entry.at}>{dateTime(entry.at, timeZone)}</time>
      </div>
      <Body entry={entry} />
    </li>
  );
}
