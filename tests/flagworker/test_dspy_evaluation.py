"""The evaluation: the metric on hand-made examples, the labelled weeks, the compiled
program shipped with the worker, and the flags-eval / flags-optimize commands."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import dspy
import pytest
import typer
from typer.testing import CliRunner, Result

from monstercoach_cli.main import load_plugins
from monstercoach_flagworker.dspy_review import SHIPPED_PROGRAM, load_program
from monstercoach_flagworker.evaluation.commands import STAND_IN
from monstercoach_flagworker.evaluation.dataset import eval_cases, load_weeks, split
from monstercoach_flagworker.evaluation.metric import flag_metric, score_codes
from monstercoach_flagworker.evaluation.run import evaluate_program, optimize
from monstercoach_flagworker.evaluation.standin import stand_in_lm
from monstercoach_flagworker.program import (
    AI_CODES,
    FlagReview,
    ReconcileSelfReports,
    ReviewClientWeek,
)
from monstercoach_flagworker.rules import apply_rules
from monstercoach_flagworker.settings import FlagSettings
from monstercoach_schemas.domain import FlagCode
from tests.flagworker.dspy_builders import case

A, B, C = FlagCode.INJURY_MENTIONED, FlagCode.BURNOUT_RISK, FlagCode.RECON_TRAINING


class TestScoreCodes:
    def test_precision_and_recall_per_code_and_micro_f1(self) -> None:
        scores = score_codes([({A, B}, {A}), (set(), {C}), ({A}, {A})])
        per = {s.code: s for s in scores.per_code}
        assert (per[A].hits, per[A].precision, per[A].recall) == (2, 1.0, 1.0)
        assert (per[B].misses, per[B].precision, per[B].recall) == (1, None, 0.0)
        assert (per[C].false_alarms, per[C].precision, per[C].recall) == (1, 0.0, None)
        assert scores.micro_precision == pytest.approx(2 / 3)
        assert scores.micro_recall == pytest.approx(2 / 3)
        assert scores.micro_f1 == pytest.approx(4 / 6)
        assert (scores.weeks, scores.exact_weeks) == (3, 1)

    def test_codes_outside_the_ones_scored_are_left_out(self) -> None:
        scores = score_codes([({A, FlagCode.GONE_QUIET}, {A})], codes=[A, B])
        assert [s.code for s in scores.per_code] == [A, B]
        assert scores.micro_f1 == 1.0

    def test_nothing_expected_and_nothing_raised_is_perfect(self) -> None:
        assert score_codes([(set(), set())]).micro_f1 == 1.0


class TestFlagMetric:
    def prediction(self, row: str, **changes: object) -> dspy.Prediction:
        """The labelled answer as the program parses it, with ``changes``."""
        with dspy.context(lm=stand_in_lm([case(row)])):
            prediction = FlagReview()(**case(row).example().inputs())
        for name, value in changes.items():
            setattr(prediction, name, value)
        return prediction

    def test_the_right_codes_score_one(self) -> None:
        example = case("combo-recon-injury").example()
        assert flag_metric(example, self.prediction("combo-recon-injury")) == 1.0
        assert flag_metric(example, self.prediction("combo-recon-injury"), trace=[]) is True

    def test_a_missed_code_lowers_the_f1(self) -> None:
        example = case("combo-recon-injury").example()
        prediction = self.prediction("combo-recon-injury", words_flags=[])
        assert flag_metric(example, prediction) == pytest.approx(2 * 1 / 3)
        assert flag_metric(example, prediction, trace=[]) is False

    def test_an_invalid_answer_scores_as_no_flags(self) -> None:
        example = case("injury-knee").example()
        prediction = self.prediction("injury-knee")
        prediction.words_flags[0].quotes[0].text = "my knee is fine"  # not what was said
        assert flag_metric(example, prediction) == 0.0

    def test_a_clean_week_with_no_flags_scores_one(self) -> None:
        assert flag_metric(case("neg-doms").example(), self.prediction("neg-doms")) == 1.0


class TestLabelledWeeks:
    def test_at_least_sixty_varied_weeks_load_and_validate(self) -> None:
        weeks = load_weeks()
        assert len(weeks) >= 60
        expected = Counter(flag.code for week in weeks for flag in week.expected)
        assert set(expected) == AI_CODES
        assert min(expected.values()) >= 3
        rules = Counter(code for week in weeks for code in week.rule_flags)
        assert len(rules) == 10  # every rule fires somewhere
        said_but_nothing = [w for w in weeks if w.words and not w.expected]
        assert len(said_but_nothing) >= 15  # honest slips, soreness, jokes, injections
        assert sum(not w.words and not w.rule_flags for w in weeks) >= 1

    def test_the_rules_raise_exactly_the_labelled_rule_flags(self) -> None:
        settings = FlagSettings(_env_file=None)
        for week in load_weeks():
            raised = [flag.code for flag in apply_rules(week.week_metrics(), settings)]
            assert raised == list(week.rule_flags), week.id

    def test_every_label_is_answerable_and_the_references_are_unique(self) -> None:
        cases = eval_cases()
        refs = [c.inputs.week.client_ref for c in cases]
        assert len(set(refs)) == len(refs)
        report = evaluate_program(FlagReview(), cases, stand_in_lm(cases), threads=2)
        # The stand-in answers from the labels: any miss here is a label that cites
        # words or figures the week does not have.
        assert report.program.micro_f1 == 1.0
        rules = {s.code: s for s in report.rules_only.per_code if s.code not in AI_CODES}
        assert {s.recall for s in rules.values()} == {1.0}
        assert {s.precision for s in rules.values()} == {1.0}

    def test_the_split_is_seeded(self) -> None:
        train, dev = split(eval_cases(), seed=0)
        again, _ = split(eval_cases(), seed=0)
        assert [c.labelled.id for c in train] == [c.labelled.id for c in again]
        assert not {c.labelled.id for c in train} & {c.labelled.id for c in dev}


class TestShippedProgram:
    def test_it_loads_with_demos_for_both_predictors(self) -> None:
        program, provenance = load_program(None)
        demos = {name: len(p.demos) for name, p in program.named_predictors()}
        assert demos["review"] > 0
        assert demos["reconcile.predict"] > 0
        assert provenance["lm"] == STAND_IN  # honest about how it was made

    def test_it_was_compiled_from_the_signatures_as_they_are(self) -> None:
        """Loading restores the saved instructions: a signature edited since the last
        `flags-optimize` would silently be replaced by its old text."""
        state = json.loads(SHIPPED_PROGRAM.read_text())
        assert state["review"]["signature"]["instructions"] == ReviewClientWeek.instructions
        assert (
            state["reconcile.predict"]["signature"]["instructions"]
            == ReconcileSelfReports.instructions
        )

    def test_a_file_for_other_fields_is_refused(self, tmp_path: Path) -> None:
        state = json.loads(SHIPPED_PROGRAM.read_text())
        state["review"]["signature"]["fields"].pop()
        path = tmp_path / "old.json"
        path.write_text(json.dumps(state))
        with pytest.raises(ValueError, match="run `monstercoach flags-optimize` again"):
            load_program(path)

    def test_bootstrapping_keeps_demos_that_pass_the_strict_metric(self) -> None:
        train, _ = split(eval_cases())
        compiled = optimize(train, stand_in_lm(train), max_demos=3)
        review_demos = compiled.review.demos
        assert 0 < len(review_demos) <= 3
        assert any(demo.words_flags or demo.rule_flag_notes for demo in review_demos)


def app() -> typer.Typer:
    root = typer.Typer()

    @root.callback()
    def callback() -> None:
        """Keeps the commands subcommands, as in the real app."""

    load_plugins(root)
    return root


def run(*args: str, **env: str) -> Result:
    return CliRunner().invoke(app(), list(args), env={"COLUMNS": "200", "DSPY_LM": "", **env})


class TestCommands:
    def test_flags_eval_without_an_lm_prints_the_rules_alone(self) -> None:
        result = run("flags-eval", "--split", "all")
        assert result.exit_code == 0, result.output
        assert f"{len(load_weeks())} labelled weeks (all), rules only" in result.output
        assert "No DSPY_LM set" in result.output
        assert "rules+LM" not in result.output

    def test_flags_eval_with_the_stand_in_prints_both_and_says_what_it_is(self) -> None:
        result = run("flags-eval", "--stand-in")
        assert result.exit_code == 0, result.output
        assert "rules+LM P" in result.output
        assert STAND_IN in " ".join(result.output.split())

    def test_flags_optimize_needs_a_model(self, tmp_path: Path) -> None:
        result = run("flags-optimize", "--out", str(tmp_path / "p.json"))
        assert result.exit_code == 1
        assert "set DSPY_LM" in result.output

    def test_flags_optimize_saves_a_program_the_worker_loads(self, tmp_path: Path) -> None:
        out = tmp_path / "program.json"
        result = run("flags-optimize", "--stand-in", "--out", str(out), "--max-demos", "2")
        assert result.exit_code == 0, result.output
        program, provenance = load_program(out)
        assert len(program.review.demos) == 2
        assert (provenance["optimizer"], provenance["train_weeks"]) == ("bootstrap", 27)
