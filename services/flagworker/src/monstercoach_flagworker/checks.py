"""What the model wrote, checked against what it was given, then made into flags.

The signatures' types already hold the shape (codes from closed sets, severities,
lengths, one to three quotes or figures); the checks here need the inputs: a note for
exactly the rule flags given, quotes that are really in the quoted note, figures that
fit the claim and exist this week. A non-empty list of problems makes an answer
invalid: the worker asks once more, then falls back to the rule flags.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import replace
from uuid import UUID

from monstercoach_schemas.domain import Evidence, FlagCode, FlagSource

from .metrics import REF_LIMIT
from .program import (
    FIGURES_FOR,
    ClientNote,
    LmInputs,
    LogFigure,
    Quote,
    ReconFlag,
    RuleFlagNote,
    WeekFacts,
    WordsFlag,
)
from .review import ClientWeek
from .rules import DraftFlag

_SPACE = re.compile(r"\s+")
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})
_TRIM = " \"'.…"


def _plain(text: str) -> str:
    return _SPACE.sub(" ", text.translate(_QUOTES)).casefold().strip(_TRIM)


def quote_problem(quote: Quote, notes: Sequence[ClientNote]) -> str | None:
    """Why ``quote`` does not cite the client (None when it does)."""
    note = next((n for n in notes if n.ref == quote.ref), None)
    if note is None:
        return f"quote cites unknown ref {quote.ref!r}"
    if not _plain(quote.text) or _plain(quote.text) not in _plain(note.text):
        return f"quote is not in note {quote.ref!r}"
    return None


def figure_value(week: WeekFacts, figure: LogFigure) -> float | int | None:
    value: float | int | None = getattr(week, figure.value)
    return value


def _names(items: Iterable[str]) -> str:
    return ", ".join(sorted(str(item) for item in items))


def _duplicates(codes: Iterable[FlagCode]) -> set[FlagCode]:
    return {code for code, count in Counter(codes).items() if count > 1}


def review_problems(
    inputs: LmInputs, notes: Sequence[RuleFlagNote], words_flags: Sequence[WordsFlag]
) -> list[str]:
    problems = []
    given = {flag.code for flag in inputs.rule_flags}
    noted = [note.code for note in notes]
    if missing := given - set(noted):
        problems.append(f"no note for rule flags {_names(missing)}")
    if unknown := set(noted) - given:
        problems.append(f"notes for flags the rules did not raise: {_names(unknown)}")
    if twice := _duplicates(noted) | _duplicates(flag.code for flag in words_flags):
        problems.append(f"more than one {_names(twice)}")
    for flag in words_flags:
        problems += [
            f"{flag.code}: {problem}"
            for quote in flag.quotes
            if (problem := quote_problem(quote, inputs.client_notes))
        ]
    return problems


def recon_problems(inputs: LmInputs, recon_flags: Sequence[ReconFlag]) -> list[str]:
    problems = []
    if twice := _duplicates(flag.code for flag in recon_flags):
        problems.append(f"more than one {_names(twice)}")
    for flag in recon_flags:
        if problem := quote_problem(flag.claim, inputs.client_notes):
            problems.append(f"{flag.code}: {problem}")
        if wrong := set(flag.logged) - FIGURES_FOR[flag.code]:
            problems.append(f"{flag.code}: {_names(wrong)} cannot contradict this claim")
        if absent := [f for f in flag.logged if figure_value(inputs.week, f) is None]:
            problems.append(f"{flag.code}: {_names(absent)} not in this week's logs")
    return problems


# --- into flags -----------------------------------------------------------------------------


def _said(quote: Quote, notes: Sequence[ClientNote]) -> Evidence:
    note = next(n for n in notes if n.ref == quote.ref)
    return Evidence(
        label=f"client said ({note.kind}, {note.date.isoformat()})",
        value=quote.text,
        refs=[quote.ref],
    )


def _refs(ids: Sequence[UUID | str]) -> list[str]:
    return [str(ref) for ref in ids]


def _workout_refs(week: ClientWeek) -> list[str]:
    # The days the metrics judged: a workout on a day still going on is not counted.
    m, words = week.metrics, week.words
    workouts = words.logged_workouts if words is not None else ()
    return [w.ref for w in workouts if m.first_day <= w.local_date <= m.last_day][:REF_LIMIT]


def figure_evidence(week: ClientWeek, facts: WeekFacts, figure: LogFigure) -> Evidence:
    """The logs' side of a recon flag, with the rows behind the figure."""
    m, value = week.metrics, figure_value(facts, figure)
    match figure:
        case LogFigure.AVG_KCAL:
            return Evidence(
                label="avg kcal per logged day",
                value=value,
                target=m.target_kcal,
                refs=_refs(m.meal_refs),
            )
        case LogFigure.AVG_PROTEIN_G:
            return Evidence(
                label="avg protein per logged day (g)",
                value=value,
                target=m.target_protein_g,
                refs=_refs(m.meal_refs),
            )
        case LogFigure.MEAL_DAYS:
            return Evidence(
                label="days with meals logged",
                value=value,
                target=m.days_observed,
                refs=_refs(m.meal_refs),
            )
        case LogFigure.WORKOUT_DAYS:
            return Evidence(
                label="days with a workout logged", value=value, refs=_workout_refs(week)
            )
        case LogFigure.JOB_CARD_ITEMS_DONE:
            return Evidence(
                label="job card items done",
                value=value,
                target=m.items_total,
                refs=_refs(m.not_done_item_refs),
            )
        case LogFigure.CHECKINS:
            return Evidence(
                label="check-ins answered",
                value=value,
                target=m.days_observed,
                refs=_refs(m.missed_checkin_refs),
            )
        case LogFigure.WEIGH_IN_DAYS:
            return Evidence(
                label="weigh-in days (last 7)", value=value, target=7, refs=_refs(m.weight_refs)
            )
        case LogFigure.WEIGHT_CHANGE_KG:
            return Evidence(
                label="weekly change of the 7-day average (kg)",
                value=value,
                refs=_refs(m.weight_refs),
            )


def reviewed_flags(
    week: ClientWeek,
    inputs: LmInputs,
    notes: Sequence[RuleFlagNote],
    words_flags: Sequence[WordsFlag],
    recon_flags: Sequence[ReconFlag],
) -> list[DraftFlag]:
    """Valid answers as flags: the rule flags in the model's words (still source rules,
    evidence untouched), then the model's own flags (source dspy)."""
    by_code = {note.code: note for note in notes}
    flags = [
        replace(
            flag,
            rationale=by_code[flag.code].rationale,
            suggested_action=by_code[flag.code].suggested_action,
        )
        for flag in week.rule_flags
    ]
    flags += [
        DraftFlag(
            flag.code,
            flag.severity,
            tuple(_said(quote, inputs.client_notes) for quote in flag.quotes),
            flag.rationale,
            flag.suggested_action,
            FlagSource.DSPY,
        )
        for flag in words_flags
    ]
    flags += [
        DraftFlag(
            flag.code,
            flag.severity,
            (
                _said(flag.claim, inputs.client_notes),
                *(figure_evidence(week, inputs.week, figure) for figure in flag.logged),
            ),
            flag.rationale,
            flag.suggested_action,
            FlagSource.DSPY,
        )
        for flag in recon_flags
    ]
    return flags
