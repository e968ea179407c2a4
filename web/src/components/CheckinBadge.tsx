import type { CheckinToday } from '../api/types';
import { Badge, type Tone } from './Badge';

const LOOK: Record<CheckinToday, [Tone, string]> = {
  answered: ['good', 'Answered'],
  missed: ['bad', 'Missed'],
  pending: ['warn', 'Waiting'],
  not_asked: ['neutral', 'Not asked yet'],
};

export function CheckinBadge({ state }: { state: CheckinToday }) {
  const [tone, label] = LOOK[state];
  return <Badge tone={tone}>{label}</Badge>;
}
