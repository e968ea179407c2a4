"""The labelled weeks shipped with the worker (``weeks.jsonl``), as ``dspy.Example``s.

One JSON object per line:

* ``id`` (unique) and ``about`` (why the week is in the set);
* ``metrics``: what differs from :data:`CLEAN_WEEK`, a good fat-loss week (any
  :class:`~..metrics.WeekMetrics` field; the rows' ids are made up from the ``id``);
* ``words``: the client's check-in notes and DMs, each ``{kind, day, text}`` with
  ``kind`` ``checkin`` or ``dm`` and ``day`` 0 (Monday) to 6;
* ``rule_flags``: the codes the rules raise for these metrics at the default thresholds
  (a test holds the rules to it, so rules reach recall 1.0 on their codes);
* ``expected``: what the program should add, each ``{code, said, logged, severity}``:
  the code, the index in ``words`` of what shows it, for a recon flag the figures that
  contradict the claim, and a severity (used only by the stand-in LM's answers).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from uuid import NAMESPACE_URL, UUID, uuid5

import dspy
from pydantic import BaseModel, ConfigDict, Field, model_validator

from monstercoach_schemas.domain import FlagCode, FlagSeverity, Goal

from ..metrics import WeekMetrics, week_start
from ..program import AI_CODES, FIGURES_FOR, RECON_CODES, LmInputs, LogFigure, lm_inputs
from ..review import ClientWeek, ClientWords, Said
from ..rules import apply_rules
from ..settings import FlagSettings, ReviewSettings

WEEKS_PATH = Path(__file__).parent / "weeks.jsonl"
ISO_WEEK = "2026-W47"
MONDAY = week_start(ISO_WEEK)
_NAMESPACE = uuid5(NAMESPACE_URL, "https://monstercoach.invalid/evaluation")


def _ids(row_id: str, what: str, count: int) -> tuple[UUID, ...]:
    return tuple(uuid5(_NAMESPACE, f"{row_id}/{what}/{n}") for n in range(count))


CLEAN_WEEK: dict[str, Any] = {
    "display_name": "Eval Client",
    "time_zone": "Europe/London",
    "goal": Goal.FAT_LOSS,
    "goal_weight_kg": None,
    "target_kcal": 2000,
    "target_protein_g": 150,
    "first_day": MONDAY,
    "last_day": MONDAY + timedelta(days=6),
    "days_observed": 7,
    "checkins": 7,
    "missed_checkin_refs": (),
    "items_total": 21,
    "items_done": 19,
    "items_skipped": 1,
    "meal_days": 7,
    "kcal_days": 7,
    "avg_kcal": 1980.0,
    "protein_days": 7,
    "avg_protein_g": 148.0,
    "weight_days_now": 7,
    "weight_avg_now": 80.0,
    "weight_days_prev": 7,
    "weight_avg_prev": 80.5,
    "longest_silence_days": 0,
    "trailing_silence_days": 0,
    "last_active_day": MONDAY + timedelta(days=6),
    "missed_streak": 0,
    "missed_streak_what": None,
    "missed_streak_refs": (),
    "workout_days": 4,
}
"""Checked in daily, on target, losing 0.5 kg a week, four workouts: no rule fires."""


class LabelledSaid(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["checkin", "dm"]
    day: Annotated[int, Field(ge=0, le=6)]
    text: Annotated[str, Field(min_length=1, max_length=2000)]


class LabelledFlag(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: FlagCode
    said: Annotated[int, Field(ge=0)]
    logged: tuple[LogFigure, ...] = ()
    severity: FlagSeverity = FlagSeverity.MEDIUM

    @model_validator(mode="after")
    def _fits_the_code(self) -> LabelledFlag:
        if self.code not in AI_CODES:
            raise ValueError(f"{self.code} is a rule's code: list it in rule_flags")
        if self.code in RECON_CODES:
            if not self.logged or not set(self.logged) <= FIGURES_FOR[self.code]:
                raise ValueError(f"{self.code} needs figures from {sorted(FIGURES_FOR[self.code])}")
        elif self.logged:
            raise ValueError(f"{self.code} cites no figures")
        return self


class LabelledWeek(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, Field(pattern=r"^[a-z0-9-]+$")]
    about: Annotated[str, Field(min_length=1)]
    metrics: dict[str, Any] = {}
    words: tuple[LabelledSaid, ...] = ()
    rule_flags: tuple[FlagCode, ...] = ()
    expected: tuple[LabelledFlag, ...] = ()

    @model_validator(mode="after")
    def _cites_its_words(self) -> LabelledWeek:
        if any(flag.said >= len(self.words) for flag in self.expected):
            raise ValueError("an expected flag cites words the week does not have")
        if len({flag.code for flag in self.expected}) != len(self.expected):
            raise ValueError("an expected code is listed twice")
        return self

    @property
    def client_id(self) -> UUID:
        return uuid5(_NAMESPACE, self.id)

    def word_ref(self, index: int) -> str:
        return str(uuid5(_NAMESPACE, f"{self.id}/said/{index}"))

    def week_metrics(self) -> WeekMetrics:
        # A week with fewer meal days has fewer kcal and protein days unless it says.
        days = self.metrics.get("meal_days", 7)
        logged = {"kcal_days": days, "protein_days": days}
        refs = {
            "meal_refs": _ids(self.id, "meal", min(self.metrics.get("meal_days", 7) * 3, 20)),
            "weight_refs": _ids(self.id, "weight", self.metrics.get("weight_days_now", 7)),
            "not_done_item_refs": _ids(self.id, "item", 2),
        }
        return WeekMetrics.model_validate(
            {**CLEAN_WEEK, **logged, **refs, **self.metrics, "client_id": self.client_id}
        )

    def client_week(self) -> ClientWeek:
        metrics = self.week_metrics()
        said = [
            (s.kind, Said(self.word_ref(n), MONDAY + timedelta(days=s.day), s.text))
            for n, s in enumerate(self.words)
        ]
        workouts = _ids(self.id, "workout", metrics.workout_days)
        words = ClientWords(
            checkin_notes=tuple(s for kind, s in said if kind == "checkin"),
            direct_messages=tuple(s for kind, s in said if kind == "dm"),
            logged_workouts=tuple(
                Said(str(ref), metrics.first_day + timedelta(days=n), "")
                for n, ref in enumerate(workouts)
            ),
        )
        rule_flags = tuple(apply_rules(metrics, FlagSettings(_env_file=None)))
        return ClientWeek(ISO_WEEK, metrics, rule_flags, words)

    @property
    def expected_codes(self) -> frozenset[FlagCode]:
        """Every flag the coach should see this week: the rules' and the program's."""
        return frozenset(self.rule_flags) | {flag.code for flag in self.expected}


def load_weeks(path: Path = WEEKS_PATH) -> list[LabelledWeek]:
    weeks = [
        LabelledWeek.model_validate_json(line)
        for line in path.read_text().splitlines()
        if line.strip()
    ]
    ids = [week.id for week in weeks]
    if len(set(ids)) != len(ids):
        raise ValueError(f"duplicate ids in {path}")
    return weeks


@dataclass(frozen=True)
class EvalCase:
    """A labelled week with everything built from it: what the worker would have."""

    labelled: LabelledWeek
    week: ClientWeek
    inputs: LmInputs

    def example(self) -> dspy.Example:
        return dspy.Example(
            week=self.inputs.week,
            rule_flags=list(self.inputs.rule_flags),
            client_notes=list(self.inputs.client_notes),
            row_id=self.labelled.id,
            rule_codes=sorted(flag.code for flag in self.week.rule_flags),
            expected_codes=sorted(flag.code for flag in self.labelled.expected),
        ).with_inputs("week", "rule_flags", "client_notes")


def eval_cases(
    weeks: list[LabelledWeek] | None = None, settings: ReviewSettings | None = None
) -> list[EvalCase]:
    settings = settings or ReviewSettings(_env_file=None)
    cases = []
    for labelled in weeks if weeks is not None else load_weeks():
        week = labelled.client_week()
        inputs = lm_inputs(week, settings.words_max_items, settings.words_max_chars)
        cases.append(EvalCase(labelled, week, inputs))
    return cases


def split(
    cases: list[EvalCase], *, seed: int = 0, train_fraction: float = 0.4
) -> tuple[list[EvalCase], list[EvalCase]]:
    """A seeded (train, dev) split: the optimizer learns on one, is scored on the other."""
    shuffled = list(cases)
    random.Random(seed).shuffle(shuffled)
    cut = round(len(shuffled) * train_fraction)
    return shuffled[:cut], shuffled[cut:]


def dumps(week: LabelledWeek) -> str:
    """One line of ``weeks.jsonl`` (the format the file is kept in)."""
    return json.dumps(week.model_dump(mode="json", exclude_defaults=True), ensure_ascii=False)
