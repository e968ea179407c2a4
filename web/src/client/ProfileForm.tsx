import { useEffect, useRef, useState, type FormEvent } from 'react';
import { api, call } from '../api/client';
import { ApiError } from '../api/errors';
import { useRevalidate } from '../api/hooks';
import type { ClientProfile, Weekday } from '../api/types';
import { Field } from '../components/Field';
import { Panel } from '../components/Panel';
import { ErrorNotice } from '../components/States';
import { words } from '../format';
import {
  GOALS,
  TARGET_FIELDS,
  WEEKDAYS,
  changes,
  formField,
  validate,
  valuesOf,
  type FieldErrors,
  type ProfileValues,
} from './profileForm';

type Outcome = { kind: 'saved' | 'unchanged' } | { kind: 'failed'; error: unknown } | null;

export function ProfileForm({ profile }: { profile: ClientProfile }) {
  const [values, setValues] = useState<ProfileValues>(() => valuesOf(profile));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [outcome, setOutcome] = useState<Outcome>(null);
  const [saving, setSaving] = useState(false);
  const revalidate = useRevalidate();
  const form = useRef<HTMLFormElement>(null);
  const [focusError, setFocusError] = useState(0);

  useEffect(() => {
    // After the errors are on screen: straight to the first thing to fix.
    if (focusError) form.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [focusError]);

  const set = (changes: Partial<ProfileValues>) => {
    setValues((current) => ({ ...current, ...changes }));
    setOutcome(null);
  };
  const setTarget = (key: keyof ProfileValues['targets'], value: string) =>
    set({ targets: { ...values.targets, [key]: value } });
  const toggleDay = (day: Weekday) =>
    set({
      training_days: values.training_days.includes(day)
        ? values.training_days.filter((d) => d !== day)
        : [...values.training_days, day],
    });

  const save = async (event: FormEvent) => {
    event.preventDefault();
    const found = validate(values);
    setErrors(found);
    if (Object.keys(found).length) {
      setFocusError((n) => n + 1);
      return;
    }
    const update = changes(profile, values);
    if (!update) {
      setOutcome({ kind: 'unchanged' });
      return;
    }
    setSaving(true);
    try {
      const saved = await call(
        api.PATCH('/clients/{client_id}', { params: { path: { client_id: profile.id } }, body: update }),
      );
      setValues(valuesOf(saved));
      setOutcome({ kind: 'saved' });
      void revalidate('client_get', 'roster_list', 'client_charts', 'client_schedule_get');
    } catch (error) {
      if (error instanceof ApiError && error.details.length) {
        setErrors(Object.fromEntries(error.details.map((d) => [formField(d.field), d.message])));
        setFocusError((n) => n + 1);
      }
      setOutcome({ kind: 'failed', error });
    } finally {
      setSaving(false);
    }
  };

  return (
    <Panel title="Profile and targets" className="profile">
      <form ref={form} onSubmit={(event) => void save(event)} noValidate>
        <div className="form-grid">
          <Field label="Name" error={errors.display_name}>
            <input
              value={values.display_name}
              maxLength={80}
              onChange={(e) => set({ display_name: e.target.value })}
            />
          </Field>
          <Field label="Time zone" error={errors.time_zone} hint="IANA name, e.g. Europe/London">
            <input value={values.time_zone} onChange={(e) => set({ time_zone: e.target.value })} />
          </Field>
          <Field label="Goal" error={errors.goal}>
            <select value={values.goal} onChange={(e) => set({ goal: e.target.value as ProfileValues['goal'] })}>
              {GOALS.map((goal) => (
                <option key={goal} value={goal}>
                  {words(goal)}
                </option>
              ))}
            </select>
          </Field>
          <Field label="Goal weight (kg)" error={errors.goal_weight_kg} hint="Empty for none">
            <input
              inputMode="decimal"
              value={values.goal_weight_kg}
              onChange={(e) => set({ goal_weight_kg: e.target.value })}
            />
          </Field>
          {TARGET_FIELDS.map(({ key, label, unit }) => (
            <Field key={key} label={`${label} (${unit})`} error={errors[`targets.${key}`]}>
              <input
                inputMode="numeric"
                value={values.targets[key]}
                onChange={(e) => setTarget(key, e.target.value)}
              />
            </Field>
          ))}
        </div>
        <fieldset className="days">
          <legend>Training days</legend>
          {WEEKDAYS.map((day) => (
            <label key={day} className="check">
              <input
                type="checkbox"
                checked={values.training_days.includes(day)}
                onChange={() => toggleDay(day)}
              />
              {words(day)}
            </label>
          ))}
        </fieldset>
        <div className="form-actions">
          <button type="submit" className="primary" disabled={saving}>
            {saving ? 'Saving…' : 'Save changes'}
          </button>
          <span role="status">
            {outcome?.kind === 'saved' && <span className="ok">Saved.</span>}
            {outcome?.kind === 'unchanged' && <span className="muted">Nothing changed.</span>}
          </span>
        </div>
        {outcome?.kind === 'failed' && <ErrorNotice error={outcome.error} />}
      </form>
    </Panel>
  );
}
