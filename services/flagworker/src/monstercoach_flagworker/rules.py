"""The rules: pure functions from one client's week to deterministic flags with evidence.

Each rule looks at :class:`~.metrics.WeekMetrics` and the thresholds in
:class:`~.settings.FlagSettings` and returns at most one flag. No database, no clock:
the same metrics and settings always give the same flags.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from uuid import UUID

from monstercoach_schemas.domain import Evidence, FlagCode, FlagSeverity, FlagSource, Goal

from .metrics import WeekMetrics
from .settings import FlagSettings


@dataclass(frozen=True)
class DraftFlag:
    """A flag before it gets its id and timestamp (see :mod:`.scan`)."""

    code: FlagCode
    severity: FlagSeverity
    evidence: tuple[Evidence, ...]
    rationale: str
    suggested_action: str = ""
    source: FlagSource = FlagSource.RULES


Rule = Callable[[WeekMetrics, FlagSettings], DraftFlag | None]

Grades = tuple[FlagSeverity, FlagSeverity]
"""A rule's severity at its limit and past its high step."""
MEDIUM_HIGH: Grades = (FlagSeverity.MEDIUM, FlagSeverity.HIGH)
LOW_MEDIUM: Grades = (FlagSeverity.LOW, FlagSeverity.MEDIUM)


def _evidence(
    label: str,
    value: float | str | None,
    target: float | str | None = None,
    refs: Sequence[str | UUID] = (),
) -> Evidence:
    # Every field given: pydantic deep-copies a mutable default (refs=[]) per instance,
    # which over a roster costs more than the validation itself.
    return Evidence(label=label, value=value, target=target, refs=[str(ref) for ref in refs])


def _short(value: float, limit: float, high: float, grades: Grades) -> FlagSeverity | None:
    """Severity of ``value`` falling below ``limit`` (a step up below ``high``)."""
    if value >= limit:
        return None
    return grades[1] if value < high else grades[0]


def _over(value: float, limit: float, high: float, grades: Grades) -> FlagSeverity | None:
    """Severity of ``value`` going past ``limit`` (a step up past ``high``)."""
    if value <= limit:
        return None
    return grades[1] if value > high else grades[0]


def _reached(count: int, trigger: int, high: int, grades: Grades) -> FlagSeverity | None:
    """Severity of a day count that reached ``trigger`` (a step up at ``high``)."""
    if count < trigger:
        return None
    return grades[1] if count >= high else grades[0]


# --- adherence ----------------------------------------------------------------------------


def low_checkin_rate(m: WeekMetrics, s: FlagSettings) -> DraftFlag | None:
    rate = m.checkin_rate
    if rate is None or m.days_observed < s.min_days_observed:
        return None
    severity = _short(rate, s.checkin_rate_min, s.checkin_rate_high, MEDIUM_HIGH)
    if severity is None:
        return None
    evidence = [
        _evidence(label="check-ins answered", value=m.checkins, target=m.days_observed),
        _evidence(label="check-in rate", value=round(rate, 2), target=s.checkin_rate_min),
    ]
    if m.missed_checkin_refs:
        evidence.append(
            _evidence(
                label="missed check-in prompts",
                value=len(m.missed_checkin_refs),
                refs=(m.missed_checkin_refs),
            )
        )
    return DraftFlag(
        FlagCode.LOW_CHECKIN_RATE,
        severity,
        tuple(evidence),
        f"Checked in on {m.checkins} of {m.days_observed} days ({rate:.0%}; "
        f"expected at least {s.checkin_rate_min:.0%}).",
    )


def jobcard_slipping(m: WeekMetrics, s: FlagSettings) -> DraftFlag | None:
    rate = m.jobcard_done_rate
    if rate is None or m.days_observed < s.min_days_observed:
        return None
    severity = _short(rate, s.jobcard_done_min, s.jobcard_done_high, MEDIUM_HIGH)
    if severity is None:
        return None
    not_done = m.items_total - m.items_done - m.items_skipped
    return DraftFlag(
        FlagCode.JOBCARD_SLIPPING,
        severity,
        (
            _evidence(label="job card items done", value=m.items_done, target=m.items_total),
            # A skip is a decision the client told us about; a miss is silence.
            _evidence(label="job card items skipped", value=m.items_skipped),
            _evidence(label="job card items missed", value=not_done, refs=(m.not_done_item_refs)),
        ),
        f"Did {m.items_done} of {m.items_total} job card items ({rate:.0%}; expected at "
        f"least {s.jobcard_done_min:.0%}); {m.items_skipped} skipped, {not_done} missed.",
    )


def low_meal_logging(m: WeekMetrics, s: FlagSettings) -> DraftFlag | None:
    rate = m.meal_day_rate
    if rate is None or m.days_observed < s.min_days_observed:
        return None
    severity = _short(rate, s.meal_days_min, s.meal_days_high, MEDIUM_HIGH)
    if severity is None:
        return None
    return DraftFlag(
        FlagCode.LOW_MEAL_LOGGING,
        severity,
        (
            _evidence(
                label="days with meals logged",
                value=m.meal_days,
                target=m.days_observed,
                refs=(m.meal_refs),
            ),
        ),
        f"Logged meals on {m.meal_days} of {m.days_observed} days ({rate:.0%}; "
        f"expected at least {s.meal_days_min:.0%}).",
    )


# --- intake -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Intake:
    avg_kcal: float
    ratio: float


def _kcal_intake(m: WeekMetrics, s: FlagSettings) -> _Intake | None:
    if m.avg_kcal is None or m.kcal_days < s.intake_min_days or not m.target_kcal:
        return None
    return _Intake(m.avg_kcal, m.avg_kcal / m.target_kcal)


def _kcal_flag(m: WeekMetrics, code: FlagCode, severity: FlagSeverity, kcal: _Intake) -> DraftFlag:
    return DraftFlag(
        code,
        severity,
        (
            _evidence(
                label="avg kcal per logged day",
                value=round(kcal.avg_kcal),
                target=m.target_kcal,
                refs=(m.meal_refs),
            ),
            _evidence(label="days with kcal logged", value=m.kcal_days, target=m.days_observed),
        ),
        f"Logged {kcal.avg_kcal:,.0f} kcal a day on average over {m.kcal_days} days, "
        f"{kcal.ratio:.0%} of the {m.target_kcal:,} kcal target.",
    )


def under_eating(m: WeekMetrics, s: FlagSettings) -> DraftFlag | None:
    kcal = _kcal_intake(m, s)
    if kcal is None:
        return None
    severity = _short(kcal.ratio, s.under_eating_ratio, s.under_eating_high_ratio, MEDIUM_HIGH)
    return None if severity is None else _kcal_flag(m, FlagCode.UNDER_EATING, severity, kcal)


def over_eating(m: WeekMetrics, s: FlagSettings) -> DraftFlag | None:
    kcal = _kcal_intake(m, s)
    if kcal is None:
        return None
    severity = _over(kcal.ratio, s.over_eating_ratio, s.over_eating_high_ratio, MEDIUM_HIGH)
    return None if severity is None else _kcal_flag(m, FlagCode.OVER_EATING, severity, kcal)


def protein_short(m: WeekMetrics, s: FlagSettings) -> DraftFlag | None:
    if m.avg_protein_g is None or m.protein_days < s.intake_min_days or not m.target_protein_g:
        return None
    ratio = m.avg_protein_g / m.target_protein_g
    severity = _short(ratio, s.protein_short_ratio, s.protein_short_high_ratio, LOW_MEDIUM)
    if severity is None:
        return None
    return DraftFlag(
        FlagCode.PROTEIN_SHORT,
        severity,
        (
            _evidence(
                label="avg protein per logged day (g)",
                value=round(m.avg_protein_g),
                target=m.target_protein_g,
                refs=(m.meal_refs),
            ),
            _evidence(label="days with protein logged", value=m.protein_days),
        ),
        f"Logged {m.avg_protein_g:.0f} g protein a day on average over {m.protein_days} "
        f"days, {ratio:.0%} of the {m.target_protein_g} g target.",
    )


# --- weight -------------------------------------------------------------------------------

GOAL_DIRECTION = {Goal.FAT_LOSS: -1, Goal.MUSCLE_GAIN: 1}
"""Which way the scale should move; other goals want it steady."""


@dataclass(frozen=True)
class _Trend:
    avg_now: float
    avg_prev: float
    change: float
    direction: int
    """-1 the scale should go down, +1 up, 0 hold steady."""


def _weight_trend(m: WeekMetrics, s: FlagSettings) -> _Trend | None:
    now, prev, change = m.weight_avg_now, m.weight_avg_prev, m.weight_change_kg
    if now is None or prev is None or change is None:
        return None
    if min(m.weight_days_now, m.weight_days_prev) < s.weight_min_days:
        return None
    direction = GOAL_DIRECTION.get(m.goal, 0)
    # At or past the goal weight the job is holding it: judged like maintenance.
    if m.goal_weight_kg is not None and direction * (now - m.goal_weight_kg) >= 0:
        direction = 0
    return _Trend(now, prev, change, direction)


def _weight_flag(
    m: WeekMetrics, code: FlagCode, severity: FlagSeverity, trend: _Trend, target: str, why: str
) -> DraftFlag:
    return DraftFlag(
        code,
        severity,
        (
            _evidence(
                label="weekly change of the 7-day average (kg)", value=trend.change, target=target
            ),
            _evidence(
                label="7-day average weight (kg)",
                value=round(trend.avg_now, 2),
                refs=(m.weight_refs),
            ),
            _evidence(label="previous 7-day average weight (kg)", value=round(trend.avg_prev, 2)),
            _evidence(
                label="weigh-in days (this week, week before)",
                value=f"{m.weight_days_now}, {m.weight_days_prev}",
            ),
        ),
        why,
    )


def _goal_words(m: WeekMetrics) -> str:
    return m.goal.value.replace("_", " ")


def weight_wrong_way(m: WeekMetrics, s: FlagSettings) -> DraftFlag | None:
    trend = _weight_trend(m, s)
    if trend is None:
        return None
    if trend.direction:
        wrong_way = -trend.direction * trend.change
        severity = _over(wrong_way, s.weight_wrong_way_kg, s.weight_wrong_way_high_kg, MEDIUM_HIGH)
        target = "down" if trend.direction < 0 else "up"
    else:
        severity = _over(abs(trend.change), s.weight_drift_kg, math.inf, MEDIUM_HIGH)
        target = f"within ±{s.weight_drift_kg:g}"
    if severity is None:
        return None
    moved = "up" if trend.change > 0 else "down"
    why = (
        f"7-day average weight {moved} {abs(trend.change):g} kg on the week before, "
        f"against a {_goal_words(m)} goal."
    )
    return _weight_flag(m, FlagCode.WEIGHT_WRONG_WAY, severity, trend, target, why)


def weight_stall(m: WeekMetrics, s: FlagSettings) -> DraftFlag | None:
    trend = _weight_trend(m, s)
    if trend is None or not trend.direction:
        return None
    progress = trend.direction * trend.change
    # Moving the wrong way is the other flag, not a stall.
    if progress >= s.weight_stall_kg or -progress > s.weight_wrong_way_kg:
        return None
    target = f"{'down' if trend.direction < 0 else 'up'} at least {s.weight_stall_kg:g}"
    why = (
        f"7-day average weight moved {trend.change:+g} kg on the week before; a "
        f"{_goal_words(m)} goal needs at least {s.weight_stall_kg:g} kg a week."
    )
    return _weight_flag(m, FlagCode.WEIGHT_STALL, FlagSeverity.LOW, trend, target, why)


# --- silence ------------------------------------------------------------------------------


def gone_quiet(m: WeekMetrics, s: FlagSettings) -> DraftFlag | None:
    severity = _reached(
        m.longest_silence_days, s.gone_quiet_days, s.gone_quiet_high_days, MEDIUM_HIGH
    )
    if severity is None:
        return None
    still = m.trailing_silence_days >= s.gone_quiet_days
    last = m.last_active_day.isoformat() if m.last_active_day else "none this week"
    return DraftFlag(
        FlagCode.GONE_QUIET,
        severity,
        (
            _evidence(
                label="longest silence (days)",
                value=m.longest_silence_days,
                target=s.gone_quiet_days,
            ),
            _evidence(label="silent days at the end of the week", value=m.trailing_silence_days),
            _evidence(label="last activity", value=last),
            _evidence(label="days judged this week", value=m.days_observed, target=7),
        ),
        f"No check-in, meal, workout, job card mark or DM for {m.longest_silence_days} days "
        f"in a row{', and still silent' if still else ''}.",
    )


def missed_streak(m: WeekMetrics, s: FlagSettings) -> DraftFlag | None:
    severity = _reached(m.missed_streak, s.missed_streak, s.missed_streak_high, LOW_MEDIUM)
    if severity is None:
        return None
    return DraftFlag(
        FlagCode.MISSED_STREAK,
        severity,
        (
            _evidence(
                label=f"missed in a row: {m.missed_streak_what}",
                value=m.missed_streak,
                target=s.missed_streak,
                refs=(m.missed_streak_refs),
            ),
        ),
        f"Missed {m.missed_streak_what} {m.missed_streak} times in a row.",
    )


RULES: tuple[Rule, ...] = (
    gone_quiet,
    low_checkin_rate,
    jobcard_slipping,
    low_meal_logging,
    missed_streak,
    under_eating,
    over_eating,
    protein_short,
    weight_wrong_way,
    weight_stall,
)


def apply_rules(m: WeekMetrics, s: FlagSettings) -> list[DraftFlag]:
    """Every flag the rules raise for one client's week, in rule order."""
    return [flag for rule in RULES if (flag := rule(m, s)) is not None]
