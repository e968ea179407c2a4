"""Each rule below, at and above its threshold, without a database."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest
from pydantic import ValidationError

from monstercoach_flagworker.metrics import WeekMetrics
from monstercoach_flagworker.rules import DraftFlag, apply_rules
from monstercoach_flagworker.settings import FlagSettings
from monstercoach_schemas.domain import FlagCode, FlagSeverity, Goal
from tests.flagworker.builders import day

HIGH, MEDIUM, LOW = FlagSeverity.HIGH, FlagSeverity.MEDIUM, FlagSeverity.LOW
MEALS = (UUID(int=101), UUID(int=102))

CLEAN = WeekMetrics(
    client_id=UUID(int=1),
    display_name="Ana Souza",
    time_zone="America/Sao_Paulo",
    goal=Goal.FAT_LOSS,
    goal_weight_kg=None,
    target_kcal=2000,
    target_protein_g=150,
    first_day=day(0),
    last_day=day(6),
    days_observed=7,
    checkins=7,
    missed_checkin_refs=(),
    items_total=20,
    items_done=18,
    items_skipped=1,
    not_done_item_refs=(UUID(int=201),),
    meal_days=7,
    kcal_days=7,
    avg_kcal=2000.0,
    protein_days=7,
    avg_protein_g=150.0,
    meal_refs=MEALS,
    weight_days_now=7,
    weight_avg_now=80.0,
    weight_days_prev=7,
    weight_avg_prev=80.5,
    weight_refs=(UUID(int=301),),
    longest_silence_days=0,
    trailing_silence_days=0,
    last_active_day=day(6),
    missed_streak=0,
    missed_streak_what=None,
    missed_streak_refs=(),
)
"""A good week: on target, losing 0.5 kg; no rule fires."""


def settings(**overrides: Any) -> FlagSettings:
    return FlagSettings(_env_file=None, **overrides)


def week(**changes: Any) -> WeekMetrics:
    return CLEAN.model_copy(update=changes)


def raised(metrics: WeekMetrics, **overrides: Any) -> dict[FlagCode, DraftFlag]:
    return {flag.code: flag for flag in apply_rules(metrics, settings(**overrides))}


def severity_of(code: FlagCode, metrics: WeekMetrics, **overrides: Any) -> FlagSeverity | None:
    flag = raised(metrics, **overrides).get(code)
    return None if flag is None else flag.severity


def test_a_clean_week_raises_nothing() -> None:
    assert raised(CLEAN) == {}


# Rates over 5 judged days, so the thresholds land exactly on a count.
RATE_5_DAYS = {"days_observed": 5}


@pytest.mark.parametrize(
    ("checkins", "expected"),
    [(4, None), (3, None), (2, MEDIUM), (1, MEDIUM), (0, HIGH)],
    ids=["above", "at", "below", "at-high", "below-high"],
)
def test_low_checkin_rate(checkins: int, expected: FlagSeverity | None) -> None:
    metrics = week(**RATE_5_DAYS, checkins=checkins)
    overrides = {"checkin_rate_min": 0.6, "checkin_rate_high": 0.2}
    assert severity_of(FlagCode.LOW_CHECKIN_RATE, metrics, **overrides) == expected


@pytest.mark.parametrize(
    ("done", "expected"),
    [(11, None), (10, None), (9, MEDIUM), (5, MEDIUM), (4, HIGH)],
    ids=["above", "at", "below", "at-high", "below-high"],
)
def test_jobcard_slipping(done: int, expected: FlagSeverity | None) -> None:
    # Defaults: at least half the items done; a quarter or less is high.
    metrics = week(items_total=20, items_done=done, items_skipped=0)
    assert severity_of(FlagCode.JOBCARD_SLIPPING, metrics) == expected


@pytest.mark.parametrize(
    ("meal_days", "expected"),
    [(4, None), (3, None), (2, MEDIUM), (1, MEDIUM), (0, HIGH)],
    ids=["above", "at", "below", "at-high", "below-high"],
)
def test_low_meal_logging(meal_days: int, expected: FlagSeverity | None) -> None:
    metrics = week(**RATE_5_DAYS, meal_days=meal_days)
    overrides = {"meal_days_min": 0.6, "meal_days_high": 0.2}
    assert severity_of(FlagCode.LOW_MEAL_LOGGING, metrics, **overrides) == expected


def test_coach_defaults_for_a_full_week() -> None:
    """Five check-ins of seven pass, four flag, two are high; the same for meal days."""
    assert severity_of(FlagCode.LOW_CHECKIN_RATE, week(checkins=5)) is None
    assert severity_of(FlagCode.LOW_CHECKIN_RATE, week(checkins=4)) == MEDIUM
    assert severity_of(FlagCode.LOW_CHECKIN_RATE, week(checkins=2)) == HIGH
    assert severity_of(FlagCode.LOW_MEAL_LOGGING, week(meal_days=5)) is None
    assert severity_of(FlagCode.LOW_MEAL_LOGGING, week(meal_days=4)) == MEDIUM


def test_rates_need_enough_judged_days() -> None:
    # Onboarded on Friday: two judged days say too little about a habit.
    metrics = week(days_observed=2, checkins=0, meal_days=0, items_total=4, items_done=0)
    flags = raised(metrics)
    assert not {FlagCode.LOW_CHECKIN_RATE, FlagCode.LOW_MEAL_LOGGING} & set(flags)
    assert FlagCode.JOBCARD_SLIPPING not in flags


def test_no_job_cards_is_not_slipping() -> None:
    assert FlagCode.JOBCARD_SLIPPING not in raised(week(items_total=0, items_done=0))


@pytest.mark.parametrize(
    ("avg_kcal", "expected"),
    [(1750, None), (1700, None), (1699, MEDIUM), (1400, MEDIUM), (1399, HIGH)],
    ids=["above", "at", "below", "at-high", "below-high"],
)
def test_under_eating(avg_kcal: float, expected: FlagSeverity | None) -> None:
    # Defaults: under 85 % of the 2,000 kcal target; 70 % or less is high.
    assert severity_of(FlagCode.UNDER_EATING, week(avg_kcal=avg_kcal)) == expected


@pytest.mark.parametrize(
    ("avg_kcal", "expected"),
    [(2200, None), (2300, None), (2301, MEDIUM), (2600, MEDIUM), (2601, HIGH)],
    ids=["below", "at", "above", "at-high", "above-high"],
)
def test_over_eating(avg_kcal: float, expected: FlagSeverity | None) -> None:
    # Defaults: over 115 % of target; over 130 % is high.
    assert severity_of(FlagCode.OVER_EATING, week(avg_kcal=avg_kcal)) == expected


@pytest.mark.parametrize(
    ("avg_protein_g", "expected"),
    [(130, None), (120, None), (119, LOW), (90, LOW), (89, MEDIUM)],
    ids=["above", "at", "below", "at-high", "below-high"],
)
def test_protein_short(avg_protein_g: float, expected: FlagSeverity | None) -> None:
    # Defaults: under 80 % of the 150 g target; 60 % or less is a step up.
    assert severity_of(FlagCode.PROTEIN_SHORT, week(avg_protein_g=avg_protein_g)) == expected


def test_intake_rules_need_enough_logged_days() -> None:
    metrics = week(kcal_days=2, avg_kcal=900.0, protein_days=2, avg_protein_g=20.0)
    assert not {FlagCode.UNDER_EATING, FlagCode.PROTEIN_SHORT} & set(raised(metrics))


def test_intake_evidence_cites_the_meals() -> None:
    flag = raised(week(avg_kcal=1200.0))[FlagCode.UNDER_EATING]
    assert flag.evidence[0].value == 1200
    assert flag.evidence[0].target == 2000
    assert flag.evidence[0].refs == [str(meal) for meal in MEALS]
    assert "60% of the 2,000 kcal target" in flag.rationale


def weight(now: float, prev: float = 80.0, **changes: Any) -> WeekMetrics:
    return week(weight_avg_now=now, weight_avg_prev=prev, **changes)


@pytest.mark.parametrize(
    ("now", "expected"),
    [(80.1, None), (80.2, None), (80.3, MEDIUM), (80.5, MEDIUM), (80.6, HIGH)],
    ids=["below", "at", "above", "at-high", "above-high"],
)
def test_weight_wrong_way_for_fat_loss(now: float, expected: FlagSeverity | None) -> None:
    # Defaults: gaining more than 0.2 kg a week on a cut; more than 0.5 kg is high.
    assert severity_of(FlagCode.WEIGHT_WRONG_WAY, weight(now)) == expected


def test_weight_wrong_way_mirrors_for_muscle_gain() -> None:
    assert severity_of(FlagCode.WEIGHT_WRONG_WAY, weight(79.7, goal=Goal.MUSCLE_GAIN)) == MEDIUM
    assert severity_of(FlagCode.WEIGHT_WRONG_WAY, weight(80.3, goal=Goal.MUSCLE_GAIN)) is None


@pytest.mark.parametrize(
    ("now", "expected"),
    [(80.4, None), (80.5, None), (80.6, MEDIUM), (79.5, None), (79.4, MEDIUM)],
    ids=["below", "at", "above", "at-down", "above-down"],
)
def test_weight_drift_either_way_for_maintenance(now: float, expected: FlagSeverity | None) -> None:
    metrics = weight(now, goal=Goal.MAINTENANCE)
    assert severity_of(FlagCode.WEIGHT_WRONG_WAY, metrics) == expected
    assert FlagCode.WEIGHT_STALL not in raised(metrics)  # a steady goal cannot stall


@pytest.mark.parametrize(
    ("now", "expected"),
    [(79.8, None), (79.9, None), (79.95, LOW), (80.2, LOW), (80.3, None)],
    ids=["beyond", "at", "within", "at-wrong-way", "wrong-way"],
)
def test_weight_stall_for_fat_loss(now: float, expected: FlagSeverity | None) -> None:
    # Default: losing less than 0.1 kg a week is a stall, up to the wrong-way limit.
    # 80.0 - 79.9 is 0.0999... in floating point: the change is rounded to 10 g.
    assert severity_of(FlagCode.WEIGHT_STALL, weight(now)) == expected


def test_at_the_goal_weight_the_job_is_holding_it() -> None:
    # On the way down this would be a stall; at the goal it is the plan.
    assert raised(weight(69.95, prev=70.0, goal_weight_kg=70.0)) == {}
    # Dropping well past the goal is drift, judged as for maintenance.
    at_goal = weight(69.4, prev=70.0, goal_weight_kg=70.0)
    assert severity_of(FlagCode.WEIGHT_WRONG_WAY, at_goal) == MEDIUM


def test_weight_rules_need_enough_weigh_in_days() -> None:
    metrics = weight(82.0, weight_days_prev=2)
    assert not {FlagCode.WEIGHT_WRONG_WAY, FlagCode.WEIGHT_STALL} & set(raised(metrics))


@pytest.mark.parametrize(
    ("days", "expected"),
    [(2, None), (3, MEDIUM), (4, MEDIUM), (5, HIGH)],
    ids=["below", "at", "above", "at-high"],
)
def test_gone_quiet(days: int, expected: FlagSeverity | None) -> None:
    metrics = week(longest_silence_days=days)
    assert severity_of(FlagCode.GONE_QUIET, metrics) == expected


def test_gone_quiet_says_whether_the_silence_goes_on() -> None:
    back = raised(week(longest_silence_days=4, trailing_silence_days=0))[FlagCode.GONE_QUIET]
    still = raised(week(longest_silence_days=4, trailing_silence_days=4))[FlagCode.GONE_QUIET]
    assert "still silent" not in back.rationale
    assert "still silent" in still.rationale


@pytest.mark.parametrize(
    ("streak", "expected"),
    [(2, None), (3, LOW), (4, LOW), (5, MEDIUM)],
    ids=["below", "at", "above", "at-high"],
)
def test_missed_streak(streak: int, expected: FlagSeverity | None) -> None:
    metrics = week(
        missed_streak=streak,
        missed_streak_what="checkin/morning_prompt",
        missed_streak_refs=tuple(f"ref-{n}" for n in range(streak)),
    )
    assert severity_of(FlagCode.MISSED_STREAK, metrics) == expected


def test_a_silent_week_flags_silence_and_absence_only() -> None:
    ghost = week(
        checkins=0,
        items_total=0,
        items_done=0,
        items_skipped=0,
        meal_days=0,
        kcal_days=0,
        avg_kcal=None,
        protein_days=0,
        avg_protein_g=None,
        weight_days_now=0,
        weight_avg_now=None,
        weight_days_prev=0,
        weight_avg_prev=None,
        longest_silence_days=7,
        trailing_silence_days=7,
        last_active_day=None,
    )
    flags = raised(ghost)
    assert {code: flag.severity for code, flag in flags.items()} == {
        FlagCode.GONE_QUIET: HIGH,
        FlagCode.LOW_CHECKIN_RATE: HIGH,
        FlagCode.LOW_MEAL_LOGGING: HIGH,
    }
    assert flags[FlagCode.GONE_QUIET].evidence[2].value == "none this week"


def test_missed_prompts_are_the_checkin_evidence() -> None:
    refs = ("checkin/morning_prompt/2026-11-19", "checkin/morning_prompt/2026-11-22")
    flag = raised(week(checkins=4, missed_checkin_refs=refs))[FlagCode.LOW_CHECKIN_RATE]
    assert [e.refs for e in flag.evidence if e.refs] == [list(refs)]
    assert flag.rationale == "Checked in on 4 of 7 days (57%; expected at least 70%)."


def test_a_high_step_milder_than_its_limit_is_refused() -> None:
    with pytest.raises(ValidationError, match="checkin_rate, gone_quiet"):
        settings(checkin_rate_high=0.8, gone_quiet_high_days=2)


def test_thresholds_come_from_flag_environment_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FLAG_CHECKIN_RATE_MIN", "0.5")
    assert severity_of(FlagCode.LOW_CHECKIN_RATE, week(checkins=4)) is None
