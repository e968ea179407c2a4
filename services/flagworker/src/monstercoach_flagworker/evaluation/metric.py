"""Precision and recall per flag code, and the one number an optimizer climbs.

What counts is what the worker would publish: a week whose answers fail
:mod:`..checks` raises nothing from the program (the worker falls back to the rule
flags), so a model that names the right code with a made-up quote scores no hit.

* :func:`flag_metric` is the DSPy metric, ``metric(example, pred, trace=None)``: the F1
  of one week's program codes (1.0 when nothing was expected and nothing raised). With
  a ``trace`` (bootstrapping demos) it is strict: the exact codes or nothing.
* :func:`score_codes` tallies a whole set per code; its micro-averaged F1 is the scalar
  reported by ``monstercoach flags-eval``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from monstercoach_schemas.domain import FlagCode

from ..checks import recon_problems, review_problems
from ..program import LmInputs


def inputs_of(example: Any) -> LmInputs:
    return LmInputs(example.week, tuple(example.rule_flags), tuple(example.client_notes))


def program_codes(example: Any, pred: Any) -> set[FlagCode]:
    """The codes the program raised that the worker would publish."""
    inputs = inputs_of(example)
    # A week that raised an exception comes back from dspy.Evaluate as an empty Prediction.
    notes = getattr(pred, "rule_flag_notes", None) or []
    words = getattr(pred, "words_flags", None) or []
    recon = getattr(pred, "recon_flags", None) or []
    # All or nothing, as in the worker: one invalid part and the week gets rule flags only.
    if review_problems(inputs, notes, words) or recon_problems(inputs, recon):
        return set()
    return {flag.code for flag in words} | {flag.code for flag in recon}


def _f1(expected: set[FlagCode], raised: set[FlagCode]) -> float:
    if not expected and not raised:
        return 1.0
    hits = len(expected & raised)
    return 2 * hits / (len(expected) + len(raised))


def flag_metric(example: Any, pred: Any, trace: Any = None) -> float | bool:
    expected = set(example.expected_codes)
    raised = program_codes(example, pred)
    if trace is not None:
        return raised == expected
    return _f1(expected, raised)


@dataclass(frozen=True)
class CodeScore:
    code: FlagCode
    hits: int
    false_alarms: int
    misses: int

    @property
    def precision(self) -> float | None:
        raised = self.hits + self.false_alarms
        return self.hits / raised if raised else None

    @property
    def recall(self) -> float | None:
        expected = self.hits + self.misses
        return self.hits / expected if expected else None


@dataclass(frozen=True)
class Scores:
    per_code: tuple[CodeScore, ...]
    weeks: int
    exact_weeks: int = field(default=0)
    """Weeks whose raised codes were exactly the expected ones."""

    def _total(self, attribute: str) -> int:
        return sum(getattr(score, attribute) for score in self.per_code)

    @property
    def micro_precision(self) -> float | None:
        raised = self._total("hits") + self._total("false_alarms")
        return self._total("hits") / raised if raised else None

    @property
    def micro_recall(self) -> float | None:
        expected = self._total("hits") + self._total("misses")
        return self._total("hits") / expected if expected else None

    @property
    def micro_f1(self) -> float:
        """2·hits / (expected + raised), over every code; 1.0 for a set with neither."""
        hits = self._total("hits")
        both = 2 * hits + self._total("false_alarms") + self._total("misses")
        return 2 * hits / both if both else 1.0


def score_codes(
    pairs: Iterable[tuple[Iterable[FlagCode], Iterable[FlagCode]]],
    codes: Sequence[FlagCode] | None = None,
) -> Scores:
    """Tally (expected, raised) code sets per code, over ``codes`` (default: every
    code that was expected or raised)."""
    tallies: dict[FlagCode, list[int]] = {}
    weeks = exact = 0
    for expected_codes, raised_codes in pairs:
        expected, raised = set(expected_codes), set(raised_codes)
        if codes is not None:
            expected &= set(codes)
            raised &= set(codes)
        weeks += 1
        exact += expected == raised
        for code in expected | raised:
            tally = tallies.setdefault(code, [0, 0, 0])
            tally[0 if code in expected & raised else 1 if code in raised else 2] += 1
    order = list(codes) if codes is not None else sorted(tallies)
    return Scores(
        tuple(CodeScore(code, *tallies.get(code, [0, 0, 0])) for code in order), weeks, exact
    )
