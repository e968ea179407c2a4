import { describe, expect, it } from 'vitest';
import { profile } from '../../test/fixtures';
import { changes, formField, validate, valuesOf } from './profileForm';

describe('the profile form', () => {
  it('accepts the profile as it is, and has nothing to send', () => {
    const values = valuesOf(profile());
    expect(validate(values)).toEqual({});
    expect(changes(profile(), values)).toBeNull();
  });

  it('names every field that is out of the api’s limits', () => {
    const values = valuesOf(profile());
    const errors = validate({
      ...values,
      display_name: '   ',
      time_zone: 'Mars/Olympus_Mons',
      goal_weight_kg: '12',
      targets: { ...values.targets, kcal: '20001', protein_g: '12.5', steps: '' },
    });
    expect(errors).toEqual({
      display_name: 'A name is required.',
      time_zone: 'Not a known time zone; use an IANA name such as Europe/London.',
      goal_weight_kg: 'Between 20 and 400 kg, or empty for none.',
      'targets.kcal': 'Between 0 and 20,000.',
      'targets.protein_g': 'A whole number, please.',
      'targets.steps': 'Required.',
    });
  });

  it('sends only what changed; an emptied goal weight clears it', () => {
    const values = valuesOf(profile());
    expect(changes(profile(), { ...values, display_name: ' Priya R. ', goal_weight_kg: '' })).toEqual({
      display_name: 'Priya R.',
      goal_weight_kg: null,
    });
  });

  it('sends the targets whole, training days in calendar order', () => {
    const values = valuesOf(profile());
    const update = changes(profile(), { ...values, targets: { ...values.targets, kcal: '1800' }, training_days: ['sat', 'mon'] });
    expect(update).toEqual({
      targets: { kcal: 1800, protein_g: 120, carbs_g: 190, fat_g: 51, steps: 10000, water_ml: 2500, training_days: ['mon', 'sat'] },
    });
  });

  it('maps the api’s field names onto the form’s', () => {
    expect(formField('body.targets.kcal')).toBe('targets.kcal');
  });
});
