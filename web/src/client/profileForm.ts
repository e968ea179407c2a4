// The profile form's values (as typed, strings), its checks, and the update it sends.
// The limits are the api's (docs/openapi.json); checking them here answers at once,
// and the api's own 422 details still land on the same fields if anything slips past.
import type { ClientProfile, ClientUpdate, Goal, Targets, Weekday } from '../api/types';

export const GOALS: Goal[] = ['fat_loss', 'muscle_gain', 'recomp', 'maintenance', 'performance'];
export const WEEKDAYS: Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

type NumericTarget = Exclude<keyof Targets, 'training_days'>;

export const TARGET_FIELDS: { key: NumericTarget; label: string; unit: string; max: number }[] = [
  { key: 'kcal', label: 'Calories', unit: 'kcal', max: 20_000 },
  { key: 'protein_g', label: 'Protein', unit: 'g', max: 2_000 },
  { key: 'carbs_g', label: 'Carbs', unit: 'g', max: 2_000 },
  { key: 'fat_g', label: 'Fat', unit: 'g', max: 2_000 },
  { key: 'steps', label: 'Steps', unit: 'steps', max: 100_000 },
  { key: 'water_ml', label: 'Water', unit: 'ml', max: 10_000 },
];

export interface ProfileValues {
  display_name: string;
  time_zone: string;
  goal: Goal;
  goal_weight_kg: string;
  targets: Record<NumericTarget, string>;
  training_days: Weekday[];
}

/** Field name ("targets.kcal", "display_name") → what is wrong with it. */
export type FieldErrors = Partial<Record<string, string>>;

export function valuesOf(profile: ClientProfile): ProfileValues {
  const { training_days, ...numbers } = profile.targets;
  return {
    display_name: profile.display_name,
    time_zone: profile.time_zone,
    goal: profile.goal,
    goal_weight_kg: profile.goal_weight_kg === null ? '' : String(profile.goal_weight_kg),
    targets: Object.fromEntries(
      Object.entries(numbers).map(([key, value]) => [key, String(value)]),
    ) as Record<NumericTarget, string>,
    training_days,
  };
}

function knownZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function wholeNumberIn(text: string, max: number): string | null {
  if (text.trim() === '') return 'Required.';
  const value = Number(text);
  if (!Number.isInteger(value)) return 'A whole number, please.';
  return value < 0 || value > max ? `Between 0 and ${max.toLocaleString('en-GB')}.` : null;
}

export function validate(values: ProfileValues): FieldErrors {
  const errors: FieldErrors = {};
  const name = values.display_name.trim();
  if (!name) errors.display_name = 'A name is required.';
  else if (name.length > 80) errors.display_name = 'At most 80 characters.';
  if (!knownZone(values.time_zone.trim())) {
    errors.time_zone = 'Not a known time zone; use an IANA name such as Europe/London.';
  }
  if (values.goal_weight_kg.trim() !== '') {
    const weight = Number(values.goal_weight_kg);
    if (!Number.isFinite(weight) || weight < 20 || weight > 400) {
      errors.goal_weight_kg = 'Between 20 and 400 kg, or empty for none.';
    }
  }
  for (const { key, max } of TARGET_FIELDS) {
    const problem = wholeNumberIn(values.targets[key], max);
    if (problem) errors[`targets.${key}`] = problem;
  }
  return errors;
}

function targetsOf(values: ProfileValues): Targets {
  const numbers = Object.fromEntries(
    TARGET_FIELDS.map(({ key }) => [key, Number(values.targets[key])]),
  ) as Record<NumericTarget, number>;
  const days = WEEKDAYS.filter((day) => values.training_days.includes(day));
  return { ...numbers, training_days: days };
}

/** Only what changed (the api changes only what is sent); null when nothing did. Targets
 * go as a whole: the generated type has every target required. */
export function changes(profile: ClientProfile, values: ProfileValues): ClientUpdate | null {
  const update: ClientUpdate = {};
  const name = values.display_name.trim();
  if (name !== profile.display_name) update.display_name = name;
  const zone = values.time_zone.trim();
  if (zone !== profile.time_zone) update.time_zone = zone;
  if (values.goal !== profile.goal) update.goal = values.goal;
  const weight = values.goal_weight_kg.trim() === '' ? null : Number(values.goal_weight_kg);
  if (weight !== profile.goal_weight_kg) update.goal_weight_kg = weight;
  const targets = targetsOf(values);
  if (JSON.stringify(targets) !== JSON.stringify(targetsOf(valuesOf(profile)))) {
    update.targets = targets;
  }
  return Object.keys(update).length ? update : null;
}

/** The api's field ("body.targets.kcal") as the form's ("targets.kcal"). */
export function formField(apiField: string): string {
  return apiField.replace(/^body\./, '');
}
