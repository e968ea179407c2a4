"""Stand-in models for the DSPy tests: no network, deterministic answers.

* :func:`fields` reads back what the program sent (the last user message's input
  fields, as JSON), so a stand-in can answer from the real inputs;
* :class:`KeywordModel` answers like a crude but valid model: a note per rule flag,
  INJURY_MENTIONED for "knee"/"ankle", RECON_TRAINING for "trained 4x" against fewer
  logged workouts, RECON_NUTRITION for "hit my macros" against a far-off kcal average.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from monstercoach_flagworker.dspy_review import DspyReviewer
from monstercoach_flagworker.evaluation.dataset import EvalCase, LabelledWeek, eval_cases
from monstercoach_flagworker.evaluation.standin import StandInLM
from monstercoach_flagworker.program import FlagReview
from monstercoach_flagworker.settings import ReviewSettings

_HEADER = re.compile(r"^\[\[ ## (\w+) ## \]\]$", re.MULTILINE)


def fields(request: dict[str, Any]) -> dict[str, Any]:
    """The input fields of the request's last message, parsed."""
    text = request["messages"][-1]["content"]
    parts = _HEADER.split(text)
    found: dict[str, Any] = {}
    for name, body in zip(parts[1::2], parts[2::2], strict=True):
        body = body.split("\n\nRespond with")[0].strip()
        found[name] = json.loads(body)
    return found


def part(request: dict[str, Any]) -> str:
    return "review" if "rule_flags" in fields(request) else "reconcile"


def client_ref(request: dict[str, Any]) -> str:
    ref: str = fields(request)["week"]["client_ref"]
    return ref


def note(code: str, rationale: str = "AI rationale.", action: str = "AI action.") -> dict[str, Any]:
    return {"code": code, "rationale": rationale, "suggested_action": action}


def review_answer(request: dict[str, Any], words_flags: list[Any] | None = None) -> dict[str, Any]:
    """Valid notes for every rule flag in the request, and the words flags given."""
    codes = [flag["code"] for flag in fields(request)["rule_flags"]]
    return {
        "rule_flag_notes": [note(code, f"AI: {code.lower()} explained.") for code in codes],
        "words_flags": words_flags or [],
    }


def recon_answer(recon_flags: list[Any] | None = None) -> dict[str, Any]:
    return {"reasoning": "Compared.", "recon_flags": recon_flags or []}


def recon(code: str, ref: str, text: str, logged: list[str]) -> dict[str, Any]:
    return {
        "code": code,
        "severity": "medium",
        "claim": {"ref": ref, "text": text},
        "logged": logged,
        "rationale": "The words and the logs disagree.",
        "suggested_action": "Go through the logs together.",
    }


def words_flag(code: str, ref: str, text: str) -> dict[str, Any]:
    return {
        "code": code,
        "severity": "high",
        "quotes": [{"ref": ref, "text": text}],
        "rationale": "The client says so.",
        "suggested_action": "Ask about it.",
    }


class KeywordModel:
    """A valid, keyword-driven answer to either signature."""

    def __call__(self, request: dict[str, Any]) -> dict[str, Any]:
        given = fields(request)
        notes = given["client_notes"]
        if part(request) == "review":
            injuries = [
                words_flag("INJURY_MENTIONED", n["ref"], n["text"])
                for n in notes
                if "knee" in n["text"] or "ankle" in n["text"]
            ][:1]
            return review_answer(request, injuries)
        week, found = given["week"], {}
        kcal = week["avg_kcal"]
        for n in notes:
            if "trained 4x" in n["text"] and week["workout_days"] < 4:
                found["T"] = recon("RECON_TRAINING", n["ref"], "trained 4x", ["workout_days"])
            if "hit my macros" in n["text"] and kcal and abs(kcal / week["target_kcal"] - 1) > 0.2:
                found["N"] = recon("RECON_NUTRITION", n["ref"], "hit my macros", ["avg_kcal"])
        return recon_answer(list(found.values()))


def scripted(
    review: list[Callable[[dict[str, Any]], dict[str, Any]]] | None = None,
    reconcile: list[Callable[[dict[str, Any]], dict[str, Any]]] | None = None,
) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """Answers each part's calls in turn from its own script (then KeywordModel)."""
    scripts = {"review": list(review or []), "reconcile": list(reconcile or [])}
    fallback = KeywordModel()

    def respond(request: dict[str, Any]) -> dict[str, Any]:
        script = scripts[part(request)]
        return script.pop(0)(request) if script else fallback(request)

    return respond


def settings(**overrides: Any) -> ReviewSettings:
    return ReviewSettings(_env_file=None, **{"lm": "test/stand-in", **overrides})


def reviewer(lm: StandInLM, **overrides: Any) -> DspyReviewer:
    """The reviewer with the program as written (no demos: short prompts)."""
    return DspyReviewer(FlagReview(), lm, settings(**overrides))


def case(row_id: str) -> EvalCase:
    return next(c for c in eval_cases() if c.labelled.id == row_id)


def week_case(row: dict[str, Any]) -> EvalCase:
    """An EvalCase for a hand-written labelled week."""
    return eval_cases([LabelledWeek.model_validate({"about": "test", **row})])[0]
