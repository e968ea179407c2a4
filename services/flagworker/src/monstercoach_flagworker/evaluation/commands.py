"""The bodies of ``monstercoach flags-eval`` and ``flags-optimize`` (:mod:`..cli` registers
them and imports this module only when one runs: DSPy is slow to import)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import dspy
from rich.console import Console
from rich.table import Table

from monstercoach_schemas.domain import FlagCode

from ..dspy_review import SHIPPED_PROGRAM, build_lm, load_program
from ..settings import ReviewSettings
from .dataset import EvalCase, eval_cases, split
from .metric import Scores
from .run import (
    EvalReport,
    Optimizer,
    demo_counts,
    evaluate_program,
    optimize,
    rules_only_scores,
    save_program,
)
from .standin import stand_in_lm

Split = Literal["dev", "train", "all"]
STAND_IN = "stand-in DummyLM answering from the labels (checks the wiring; scores no model)"
SPLIT_SEED = 0


class NoLanguageModel(Exception):
    """Neither ``DSPY_LM`` nor ``--stand-in``."""


def _lm(settings: ReviewSettings, cases: list[EvalCase], stand_in: bool) -> tuple[Any, str]:
    if stand_in:
        return stand_in_lm(cases), STAND_IN
    if not settings.lm:
        raise NoLanguageModel
    return build_lm(settings), settings.lm


def _cases(which: Split, settings: ReviewSettings) -> list[EvalCase]:
    cases = eval_cases(settings=settings)
    train, dev = split(cases, seed=SPLIT_SEED)
    return {"train": train, "dev": dev, "all": cases}[which]


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _by_code(scores: Scores) -> dict[FlagCode, Any]:
    return {score.code: score for score in scores.per_code}


def scores_table(title: str, rules: Scores, with_lm: Scores | None) -> Table:
    columns = ["code", "expected", "rules P", "rules R"]
    if with_lm is not None:
        columns += ["rules+LM P", "rules+LM R"]
    table = Table(*columns, title=title)
    lm_scores = _by_code(with_lm) if with_lm is not None else {}
    codes = sorted({s.code for s in rules.per_code} | set(lm_scores))
    rule_scores = _by_code(rules)
    for code in codes:
        rule = rule_scores.get(code)
        expected = (
            (rule.hits + rule.misses) if rule else lm_scores[code].hits + lm_scores[code].misses
        )
        row = [code.value, str(expected), _pct(rule and rule.precision), _pct(rule and rule.recall)]
        if with_lm is not None:
            lm = lm_scores.get(code)
            row += [_pct(lm and lm.precision), _pct(lm and lm.recall)]
        table.add_row(*row)
    return table


def flags_eval(
    console: Console, *, stand_in: bool, which: Split, threads: int
) -> EvalReport | Scores:
    settings = ReviewSettings()
    cases = _cases(which, settings)
    try:
        lm, lm_name = _lm(settings, cases, stand_in)
    except NoLanguageModel:
        rules = rules_only_scores(cases)
        console.print(
            scores_table(f"{len(cases)} labelled weeks ({which}), rules only", rules, None)
        )
        console.print(
            f"rules only: micro F1 {rules.micro_f1:.2f}. No DSPY_LM set: configure one "
            "(or pass --stand-in) for the rules + LM columns."
        )
        return rules
    program, provenance = load_program(settings.program_path)
    report = evaluate_program(program, cases, lm, threads=threads)
    console.print(
        scores_table(
            f"{len(cases)} labelled weeks ({which}); LM: {lm_name}",
            report.rules_only,
            report.with_program,
        )
    )
    console.print(
        f"micro F1: rules only {report.rules_only.micro_f1:.2f}, rules + LM "
        f"{report.with_program.micro_f1:.2f}; program codes alone {report.program.micro_f1:.2f} "
        f"(dspy.Evaluate {report.dspy_score:.1f} %, exact weeks "
        f"{report.program.exact_weeks}/{report.program.weeks})."
    )
    made = provenance.get("lm", "no compiled state (the program as written)")
    console.print(f"program: {settings.program_path or SHIPPED_PROGRAM} (compiled with: {made})")
    if stand_in:
        console.print(f"[yellow]{STAND_IN}[/yellow]")
    return report


def flags_optimize(
    console: Console,
    *,
    stand_in: bool,
    optimizer: Optimizer,
    out: Path | None,
    max_demos: int,
    threads: int,
) -> Path:
    settings = ReviewSettings()
    cases = eval_cases(settings=settings)
    train, dev = split(cases, seed=SPLIT_SEED)
    lm, lm_name = _lm(settings, cases, stand_in)
    if stand_in and optimizer != "bootstrap":
        raise ValueError("the stand-in cannot propose instructions: use --optimizer bootstrap")
    compiled = optimize(train, lm, optimizer=optimizer, max_demos=max_demos, threads=threads)
    report = evaluate_program(compiled, dev, lm, threads=threads)
    path = out or settings.program_path or SHIPPED_PROGRAM
    save_program(
        compiled,
        path,
        {
            "lm": lm_name,
            "optimizer": optimizer,
            "max_demos": max_demos,
            "split_seed": SPLIT_SEED,
            "train_weeks": len(train),
            "dev_weeks": len(dev),
            "dev_program_micro_f1": round(report.program.micro_f1, 4),
            "dev_rules_plus_lm_micro_f1": round(report.with_program.micro_f1, 4),
            "dspy": dspy.__version__,
        },
    )
    demos = ", ".join(f"{name} {count}" for name, count in demo_counts(compiled).items())
    console.print(
        f"compiled with {optimizer} on {len(train)} weeks ({demos} demos); on {len(dev)} "
        f"held-out weeks: program micro F1 {report.program.micro_f1:.2f}, rules + LM "
        f"{report.with_program.micro_f1:.2f}. Saved to {path}."
    )
    if stand_in:
        console.print(f"[yellow]{STAND_IN}[/yellow]")
    return path
