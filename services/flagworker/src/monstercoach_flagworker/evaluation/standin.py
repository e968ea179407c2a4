"""A stand-in language model for machines without one: ``dspy.utils.DummyLM`` answering
each labelled week with its labels, written out as a model would.

It makes the wiring run end to end (``flags-eval --stand-in``, ``flags-optimize
--stand-in``, ``bench/review.py``, the tests) with no network. Its scores measure the
plumbing (parsing, checks, the metric), never a model: it knows the answers.

:class:`StandInLM` can also answer after a delay and counts the calls in flight, which
is what the concurrency test and the benchmark need from a slow model.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from dspy.utils import DummyLM

from monstercoach_schemas.domain import FlagCode

from ..program import ClientNote, LmInputs
from .dataset import EvalCase

ACTIONS: Mapping[FlagCode, str] = {
    FlagCode.LOW_CHECKIN_RATE: "Ask what gets in the way of the daily check-in and agree "
    "on a time that works.",
    FlagCode.JOBCARD_SLIPPING: "Trim the job card to the two items that matter most this week.",
    FlagCode.LOW_MEAL_LOGGING: "Ask for a photo of each meal for three days instead of full logs.",
    FlagCode.UNDER_EATING: "Check the logs are complete; if they are, add a snack to reach "
    "the kcal target.",
    FlagCode.OVER_EATING: "Go through the highest days together and plan one swap for each.",
    FlagCode.PROTEIN_SHORT: "Suggest a protein source at every meal (yoghurt, eggs, a shake).",
    FlagCode.WEIGHT_STALL: "Review intake accuracy before changing the plan; one week can "
    "be noise.",
    FlagCode.WEIGHT_WRONG_WAY: "Check in on intake and sleep; adjust targets if it holds "
    "another week.",
    FlagCode.GONE_QUIET: "Send a short personal message; no plan talk until they answer.",
    FlagCode.MISSED_STREAK: "Ask whether the prompt's time still suits them.",
    FlagCode.INJURY_MENTIONED: "Ask about the pain and swap the affected exercises until "
    "it is checked.",
    FlagCode.BURNOUT_RISK: "Call or message personally; offer a lighter week.",
    FlagCode.COACH_ATTENTION: "Answer the client personally this week.",
    FlagCode.RECON_NUTRITION: "Compare their own meal logs with them, without blame; ask "
    "what the logs miss.",
    FlagCode.RECON_TRAINING: "Ask them to log each session; check what they count as a workout.",
    FlagCode.RECON_CHECKIN: "Show them the check-in and weigh-in record and agree on a routine.",
}

REASONS: Mapping[FlagCode, str] = {
    FlagCode.INJURY_MENTIONED: "The client reports pain or an injury.",
    FlagCode.BURNOUT_RISK: "The client sounds exhausted and close to giving up.",
    FlagCode.COACH_ATTENTION: "The client needs an answer or a decision from the coach.",
    FlagCode.RECON_NUTRITION: "The client's report on eating does not match the meal logs.",
    FlagCode.RECON_TRAINING: "The client's report on training does not match the logged workouts.",
    FlagCode.RECON_CHECKIN: "The client's report on check-ins or weight does not match the logs.",
}


def _quote(notes: tuple[ClientNote, ...], ref: str) -> dict[str, str]:
    note = next(n for n in notes if n.ref == ref)
    return {"ref": ref, "text": note.text[:200]}


def labelled_answer(case: EvalCase) -> dict[str, Any]:
    """Both signatures' outputs for one week, from its labels (one dict serves both:
    each signature reads its own fields from the answer)."""
    inputs, labelled = case.inputs, case.labelled
    notes = inputs.client_notes
    words_flags, recon_flags = [], []
    for flag in labelled.expected:
        quote = _quote(notes, labelled.word_ref(flag.said))
        common = {
            "code": flag.code.value,
            "severity": flag.severity.value,
            "rationale": REASONS[flag.code],
            "suggested_action": ACTIONS[flag.code],
        }
        if flag.logged:
            recon_flags.append(
                {**common, "claim": quote, "logged": [figure.value for figure in flag.logged]}
            )
        else:
            words_flags.append({**common, "quotes": [quote]})
    return {
        "reasoning": "Compared each claim in the notes with the week's figures.",
        "rule_flag_notes": [
            {
                "code": flag.code.value,
                "rationale": flag.summary,
                "suggested_action": ACTIONS[flag.code],
            }
            for flag in inputs.rule_flags
        ],
        "words_flags": words_flags,
        "recon_flags": recon_flags,
    }


def answers_by_week(cases: Iterable[EvalCase]) -> dict[str, dict[str, Any]]:
    """DummyLM's dictionary mode: the answer for the prompt that holds the week's
    ``client_ref`` (an opaque tag, unique per labelled week)."""
    return {case.inputs.week.client_ref: labelled_answer(case) for case in cases}


class _Slow:
    """DummyLM's async engine behind a delay, counting the calls in flight."""

    def __init__(self, inner: Any, owner: StandInLM) -> None:
        self.inner, self.owner = inner, owner

    async def complete(self, request: Any) -> Any:
        owner, plain = self.owner, _plain_request(request)
        async with owner.in_flight():
            await asyncio.sleep(owner.delay_for(plain))
            if owner.respond is not None:
                # Set and used with no await between: no other call can slip in.
                owner.answers = {"": owner.respond(plain)}
            return await self.inner.complete(request)

    def stream(self, request: Any) -> Any:
        return self.inner.stream(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def _plain_request(request: Any) -> dict[str, Any]:
    """The canonical request as chat messages and a temperature."""
    system = request.system
    if system is not None and not isinstance(system, str):
        system = "".join(part.text for part in system)
    messages = [{"role": "system", "content": system}] if system is not None else []
    messages += [{"role": m.role, "content": m.text or ""} for m in request.messages]
    return {"messages": messages, "temperature": request.config.temperature}


Respond = Callable[[dict[str, Any]], dict[str, Any]]
"""Answers one request (``model``, ``messages``, ``temperature``...) with output fields."""
Delay = float | Callable[[dict[str, Any]], float]
"""Seconds before an async call answers, fixed or per request."""


class StandInLM(DummyLM):  # type: ignore[misc]
    """DummyLM that answers after ``delay`` seconds (async calls) and records how many
    calls were in flight at once. With ``respond``, each async call's answer is
    ``respond(request)`` instead of a lookup in ``answers``; ``delay`` may depend on the
    request too."""

    def __init__(
        self,
        answers: Any = None,
        *,
        delay: Delay = 0.0,
        respond: Respond | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(answers if answers is not None else {}, **kwargs)
        self.delay = delay
        self.respond = respond
        self.calls = self.current = self.peak = 0
        # DummyLM answers async calls through this engine; wrapping it is the one way in.
        # Only complete() is offered, so DSPy sends the canonical request through it.
        inner: Any = getattr(self, "_async_engine_spec")  # noqa: B009 (untyped in DummyLM)
        self._async_engine_spec = _Slow(inner, self)

    def delay_for(self, request: dict[str, Any]) -> float:
        return self.delay(request) if callable(self.delay) else self.delay

    def in_flight(self) -> _InFlight:
        return _InFlight(self)


class _InFlight:
    def __init__(self, lm: StandInLM) -> None:
        self.lm = lm

    async def __aenter__(self) -> None:
        lm = self.lm
        lm.calls += 1
        lm.current += 1
        lm.peak = max(lm.peak, lm.current)

    async def __aexit__(self, *exc: object) -> None:
        self.lm.current -= 1


def stand_in_lm(cases: Iterable[EvalCase], *, delay: Delay = 0.0) -> StandInLM:
    return StandInLM(answers_by_week(cases), delay=delay)


def needs_calls(inputs: LmInputs) -> int:
    """LM calls one valid week costs: review and reconcile, each when needed."""
    return int(inputs.needs_review) + int(inputs.needs_reconcile)
