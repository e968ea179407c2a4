"""When the model fails: one retry for an invalid answer, then the rule flags labelled;
timeouts and errors fail one client only; the concurrency limit holds."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from monstercoach_flagworker.dspy_review import AI_FAILED_NOTE
from monstercoach_flagworker.evaluation.standin import StandInLM
from monstercoach_flagworker.rules import DraftFlag
from monstercoach_schemas.domain import FlagCode, FlagSource
from tests.flagworker.dspy_builders import (
    KeywordModel,
    case,
    client_ref,
    note,
    recon,
    recon_answer,
    review_answer,
    reviewer,
    scripted,
)

Respond = Any


def missing_note(request: dict[str, Any]) -> dict[str, Any]:
    return {"rule_flag_notes": [], "words_flags": []}


def unparseable(request: dict[str, Any]) -> dict[str, Any]:
    return {"rule_flag_notes": "I think this client is doing fine!", "words_flags": "none"}


def note_for_a_flag_not_raised(request: dict[str, Any]) -> dict[str, Any]:
    answer = review_answer(request)
    answer["rule_flag_notes"].append(note("GONE_QUIET"))
    return answer


def codes(flags: list[DraftFlag]) -> list[FlagCode]:
    return [flag.code for flag in flags]


def failed_label(flag: DraftFlag) -> str:
    assert flag.rationale.startswith(f"[{AI_FAILED_NOTE}: ")
    return flag.rationale.split("; rules only] ", 1)[0] + "; rules only]"


UNDER = case("rule-under-eating")
"""Rule flags and no words: the review call only, so the scripts below are its calls."""


class TestInvalidThenValid:
    @pytest.mark.parametrize(
        "first", [missing_note, unparseable, note_for_a_flag_not_raised], ids=lambda f: f.__name__
    )
    async def test_one_retry_then_the_valid_answer_is_used(self, first: Respond) -> None:
        temperatures: list[float | None] = []

        def respond(request: dict[str, Any]) -> dict[str, Any]:
            temperatures.append(request["temperature"])
            return first(request) if len(temperatures) == 1 else review_answer(request)

        lm = StandInLM(respond=respond)
        [flags] = await reviewer(lm, temperature=0.0, retry_temperature=0.7).review([UNDER.week])
        assert codes(flags) == [FlagCode.UNDER_EATING]
        assert flags[0].rationale == "AI: under_eating explained."
        assert temperatures == [0.0, 0.7]  # the retry is not the same question again


class TestAlwaysInvalid:
    async def test_two_invalid_answers_give_the_rule_flags_labelled(self) -> None:
        lm = StandInLM(respond=missing_note)
        [flags] = await reviewer(lm).review([UNDER.week])
        assert lm.calls == 2
        [flag] = flags
        rule = UNDER.week.rule_flags[0]
        assert (flag.code, flag.source, flag.evidence) == (rule.code, rule.source, rule.evidence)
        assert failed_label(flag) == (
            f"[{AI_FAILED_NOTE}: review answer invalid twice (no note for rule flags "
            "UNDER_EATING); rules only]"
        )
        assert flag.rationale.endswith(rule.rationale)

    async def test_a_made_up_quote_fails_the_whole_clients_review(self) -> None:
        week = case("recon-macros-under")
        ref = week.labelled.word_ref(0)
        made_up = recon("RECON_NUTRITION", ref, "I ate 2000 kcal daily", ["avg_kcal"])
        lm = StandInLM(respond=scripted(reconcile=[lambda r: recon_answer([made_up])] * 2))
        [flags] = await reviewer(lm).review([week.week])
        # The review part was valid, but a client's AI review is all or nothing.
        assert codes(flags) == [FlagCode.UNDER_EATING, FlagCode.PROTEIN_SHORT]
        for flag in flags:
            assert flag.source is FlagSource.RULES
            assert f"quote is not in note '{ref}'" in failed_label(flag)

    @pytest.mark.parametrize(
        ("logged", "problem"),
        [
            (["workout_days"], "cannot contradict this claim"),
            (["avg_kcal", "avg_kcal", "avg_kcal", "avg_kcal"], "did not parse"),
        ],
    )
    async def test_a_recon_flag_must_cite_fitting_figures(
        self, logged: list[str], problem: str
    ) -> None:
        week = case("recon-macros-under")
        bad = recon("RECON_NUTRITION", week.labelled.word_ref(0), "hit my macros", logged)
        lm = StandInLM(respond=scripted(reconcile=[lambda r: recon_answer([bad])] * 2))
        [flags] = await reviewer(lm).review([week.week])
        assert all(problem in failed_label(flag) for flag in flags)

    async def test_a_figure_the_week_does_not_have_is_refused(self) -> None:
        week = case("partial-new-client")  # joined this week: no weight trend yet
        assert week.inputs.week.weight_change_kg is None
        claim = recon(
            "RECON_CHECKIN", week.labelled.word_ref(0), "first few days", ["weight_change_kg"]
        )
        lm = StandInLM(respond=scripted(reconcile=[lambda r: recon_answer([claim])] * 2))
        [flags] = await reviewer(lm).review([week.week])
        # No rule flags to label: the client gets nothing, and nothing made up.
        assert flags == []
        assert lm.calls == 3  # review once, reconcile twice


class TestOneClientOnly:
    async def test_a_timeout_fails_that_client_and_no_other(self) -> None:
        slow, fast = case("burnout-work"), case("rule-under-eating")
        slow_ref = slow.inputs.week.client_ref
        lm = StandInLM(
            respond=KeywordModel(),
            delay=lambda request: 30.0 if client_ref(request) == slow_ref else 0.0,
        )
        started = asyncio.get_running_loop().time()
        slow_flags, fast_flags = await reviewer(lm, timeout_seconds=0.2).review(
            [slow.week, fast.week]
        )
        assert asyncio.get_running_loop().time() - started < 5
        [flag] = slow_flags
        assert flag.code is FlagCode.LOW_CHECKIN_RATE
        assert "timed out after 0.2 s" in failed_label(flag)
        assert fast_flags[0].rationale == "AI: under_eating explained."

    async def test_an_lm_error_fails_that_client_and_no_other(self) -> None:
        broken, fine = case("burnout-work"), case("rule-under-eating")
        broken_ref = broken.inputs.week.client_ref

        def respond(request: dict[str, Any]) -> dict[str, Any]:
            if client_ref(request) == broken_ref:
                raise ConnectionResetError("secret-host:8080 reset the connection")
            return KeywordModel()(request)

        broken_flags, fine_flags = await reviewer(StandInLM(respond=respond)).review(
            [broken.week, fine.week]
        )
        label = failed_label(broken_flags[0])
        assert "LM error" in label
        assert "secret-host" not in broken_flags[0].rationale
        assert fine_flags[0].rationale == "AI: under_eating explained."


async def test_the_concurrency_limit_holds() -> None:
    weeks = [case(row).week for row in ("injury-knee", "burnout-sleep", "recon-trained-4x")] * 4
    lm = StandInLM(respond=KeywordModel(), delay=0.01)
    results = await reviewer(lm, concurrency=3).review(weeks)
    assert len(results) == 12
    assert lm.calls == 24  # two calls per client, all of them valid
    assert lm.peak == 3  # never more in flight than allowed, and the limit was reached
