import type { FlagCode, FlagSeverity, FlagSource, FlagView } from '../api/types';
import type { Tone } from '../components/Badge';

// Keyed by the generated FlagCode union: a code the api adds fails the type check here
// until it has a label.
export const FLAG_LABEL: Record<FlagCode, string> = {
  LOW_CHECKIN_RATE: 'Few check-ins answered',
  JOBCARD_SLIPPING: 'Job card slipping',
  LOW_MEAL_LOGGING: 'Few meals logged',
  UNDER_EATING: 'Eating well under target',
  OVER_EATING: 'Eating well over target',
  PROTEIN_SHORT: 'Protein short of target',
  WEIGHT_STALL: 'Weight stalled',
  WEIGHT_WRONG_WAY: 'Weight moving the wrong way',
  GONE_QUIET: 'Gone quiet',
  MISSED_STREAK: 'Streak of missed prompts',
  RECON_NUTRITION: 'Says nutrition is on track; logs disagree',
  RECON_TRAINING: 'Says training is on track; logs disagree',
  RECON_CHECKIN: 'Check-in answers contradict the logs',
  INJURY_MENTIONED: 'Mentioned an injury',
  BURNOUT_RISK: 'Burnout risk',
  COACH_ATTENTION: 'Asks for the coach',
  SCHEDULE_INVALID: 'Schedule cannot run',
  DELIVERY_BLOCKED: 'Cannot be messaged',
};

export const SEVERITY_TONE: Record<FlagSeverity, Tone> = { high: 'bad', medium: 'warn', low: 'info' };

const SOURCE_LABEL: Record<FlagSource, string> = { rules: 'Rules', dspy: 'AI', system: 'System' };

/** How the flag was found: by the rules, the AI or the system, and whether it is a recon
 * flag (a self-report the logs contradict), which either can raise. */
export function origins(flag: Pick<FlagView, 'source' | 'code'>): string[] {
  const found = [SOURCE_LABEL[flag.source]];
  if (flag.code.startsWith('RECON_')) found.push('Recon');
  return found;
}

/** The ISO week ("2026-W48") of a day, in UTC as the api counts it. */
export function isoWeek(day: Date): string {
  const date = new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate()));
  const weekday = date.getUTCDay() || 7;
  date.setUTCDate(date.getUTCDate() + 4 - weekday); // the Thursday decides the year
  const year = date.getUTCFullYear();
  const week = Math.ceil(((date.getTime() - Date.UTC(year, 0, 1)) / 86_400_000 + 1) / 7);
  return `${year}-W${String(week).padStart(2, '0')}`;
}
