"""``dspy.Evaluate`` over the labelled weeks, and the optimizer run that compiles the
program the worker loads (``monstercoach flags-eval`` / ``flags-optimize``)."""

from __future__ import annotations

import importlib.util
import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import dspy

from monstercoach_schemas.domain import FlagCode

from ..dspy_review import PROVENANCE_KEY, chat_adapter
from ..program import AI_CODES, FlagReview
from .dataset import EvalCase
from .metric import Scores, flag_metric, program_codes, score_codes

Optimizer = Literal["bootstrap", "mipro"]
AI_ORDER = sorted(AI_CODES)


@dataclass(frozen=True)
class EvalReport:
    rules_only: Scores
    """Every code: the rules' codes against every label (program codes are all misses)."""
    with_program: Scores
    """Every code: the rules' codes plus the program's valid codes."""
    program: Scores
    """The program's codes only (what the optimizer improves)."""
    dspy_score: float
    """``dspy.Evaluate``'s score: the mean per-week :func:`flag_metric`, in percent."""


def rules_only_scores(cases: list[EvalCase]) -> Scores:
    return score_codes(
        (case.labelled.expected_codes, {flag.code for flag in case.week.rule_flags})
        for case in cases
    )


def evaluate_program(
    program: FlagReview, cases: list[EvalCase], lm: Any, *, threads: int = 4
) -> EvalReport:
    """Run ``program`` with ``lm`` over ``cases`` through ``dspy.Evaluate``.

    One call per signature, no retry: the first answer is what is scored (the worker's
    retry can only add to it). An answer that fails the checks scores as no flags.
    """
    examples = [case.example() for case in cases]
    evaluate = dspy.Evaluate(
        devset=examples,
        metric=flag_metric,
        num_threads=threads,
        display_progress=False,
        max_errors=len(examples) + 1,
        provide_traceback=False,
    )
    with dspy.context(lm=lm, adapter=chat_adapter()):
        result = evaluate(program)
    raised = [program_codes(example, prediction) for example, prediction, _ in result.results]
    rules = [{flag.code for flag in case.week.rule_flags} for case in cases]
    expected = [case.labelled.expected_codes for case in cases]
    return EvalReport(
        rules_only=rules_only_scores(cases),
        with_program=score_codes(
            zip(expected, [r | p for r, p in zip(rules, raised, strict=True)], strict=True)
        ),
        program=score_codes(zip(expected, raised, strict=True), AI_ORDER),
        dspy_score=float(result.score),
    )


def demo_order(cases: list[EvalCase], seed: int = 0) -> list[EvalCase]:
    """Weeks with program flags and weeks without, taken in turn: BootstrapFewShot keeps
    the first weeks that pass, and demos of only clean weeks teach "never flag"."""
    rng = random.Random(seed)
    flagged = [case for case in cases if case.labelled.expected]
    clean = [case for case in cases if not case.labelled.expected]
    rng.shuffle(flagged)
    rng.shuffle(clean)
    ordered: list[EvalCase] = []
    while flagged or clean:
        ordered += [group.pop() for group in (flagged, clean) if group]
    return ordered


def optimize(
    train: list[EvalCase],
    lm: Any,
    *,
    optimizer: Optimizer = "bootstrap",
    max_demos: int = 4,
    threads: int = 4,
    seed: int = 0,
) -> FlagReview:
    """Compile the program on ``train`` with ``lm`` as teacher and student.

    ``bootstrap`` (BootstrapFewShot) keeps as demos the first weeks whose answers pass
    the strict metric; ``mipro`` (MIPROv2, light) also proposes instructions, which needs
    a real LM and the ``optuna`` package.
    """
    trainset = [case.example() for case in demo_order(train, seed)]
    with dspy.context(lm=lm, adapter=chat_adapter()):
        if optimizer == "mipro":
            if importlib.util.find_spec("optuna") is None:
                raise RuntimeError("MIPROv2 needs optuna: `uv pip install optuna` first")
            mipro = dspy.MIPROv2(
                metric=flag_metric,
                auto="light",
                num_threads=threads,
                max_bootstrapped_demos=max_demos,
                max_labeled_demos=0,
                seed=seed,
            )
            compiled: FlagReview = mipro.compile(FlagReview(), trainset=trainset)
        else:
            bootstrap = dspy.BootstrapFewShot(
                metric=flag_metric,
                max_bootstrapped_demos=max_demos,
                # Labelled rows carry codes, not the outputs' full text: no raw demos.
                max_labeled_demos=0,
                max_rounds=1,
            )
            compiled = bootstrap.compile(FlagReview(), trainset=trainset)
    return compiled


def save_program(program: FlagReview, path: Path, provenance: dict[str, Any]) -> None:
    """``program.save`` (JSON state), plus how it was made under :data:`PROVENANCE_KEY`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    program.save(str(path))
    state = json.loads(path.read_text())
    state[PROVENANCE_KEY] = provenance
    path.write_text(json.dumps(state, indent=2, ensure_ascii=False) + "\n")


def demo_counts(program: FlagReview) -> dict[str, int]:
    return {name: len(predictor.demos) for name, predictor in program.named_predictors()}


def codes_text(codes: set[FlagCode]) -> str:
    return ", ".join(sorted(codes)) or "none"
