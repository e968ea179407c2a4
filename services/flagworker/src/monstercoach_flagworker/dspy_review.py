"""The DSPy reviewer: the program of :mod:`.program` run over a roster's weeks.

Per client, up to two LM calls run side by side (review, reconcile), each under one
shared :class:`asyncio.Semaphore` (``DSPY_CONCURRENCY`` calls in flight over all
clients) and its own timeout (``DSPY_TIMEOUT_SECONDS``). An answer that does not parse
or fails :mod:`.checks` is asked for once more; a second invalid answer, a timeout or
an LM error fails that client's review, and only that client's: it gets the rule flags,
each labelled ``[AI review failed: ...]``, and nothing from the model. A client's AI
review is all or nothing, so every flag of a client is either reviewed or labelled.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import dspy

from monstercoach_kit.log import get_logger

from .checks import recon_problems, review_problems, reviewed_flags
from .program import FlagReview, LmInputs, ReconFlag, RuleFlagNote, WordsFlag, lm_inputs
from .review import ClientWeek
from .rules import DraftFlag
from .settings import ReviewSettings

log = get_logger(__name__)

AI_FAILED_NOTE = "AI review failed"
SHIPPED_PROGRAM = Path(__file__).parent / "compiled" / "flag_review.json"
"""The compiled program shipped with the worker (``monstercoach flags-optimize``)."""
PROVENANCE_KEY = "monstercoach"
"""Where a compiled program JSON says how it was made (DSPy ignores the key)."""


class AiReviewFailed(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def failed_flags(rule_flags: Sequence[DraftFlag], reason: str) -> list[DraftFlag]:
    """The rule flags as the rules wrote them, each saying the AI part failed."""
    return [
        replace(flag, rationale=f"[{AI_FAILED_NOTE}: {reason}; rules only] {flag.rationale}")
        for flag in rule_flags
    ]


def chat_adapter() -> dspy.ChatAdapter:
    # No silent JSON-adapter second call on a parse error: the one retry is ours, so an
    # invalid answer costs exactly two calls and the concurrency limit holds.
    return dspy.ChatAdapter(use_json_adapter_fallback=False)


def build_lm(settings: ReviewSettings) -> dspy.LM:
    # LiteLLM would fetch its model price map from GitHub on first use: a worker must
    # not depend on that (and this one may have no internet at all).
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    extra: dict[str, Any] = {}
    if settings.api_base:
        extra["api_base"] = settings.api_base
    if settings.api_key is not None:
        extra["api_key"] = settings.api_key.get_secret_value()
    return dspy.LM(
        settings.lm,
        temperature=settings.temperature,
        max_tokens=settings.max_tokens,
        # Every week's input differs, and a cached invalid answer would defeat the retry.
        cache=False,
        num_retries=settings.lm_retries,
        timeout=settings.timeout_seconds,
        **extra,
    )


def load_program(path: Path | None) -> tuple[FlagReview, dict[str, Any]]:
    """The program with the compiled state at ``path`` (default: the shipped one), and
    the file's provenance. No file at the default path: the uncompiled program."""
    program = FlagReview()
    path = path or SHIPPED_PROGRAM
    if path == SHIPPED_PROGRAM and not path.exists():
        return program, {}
    state = json.loads(path.read_text())
    for name, predictor in program.named_predictors():
        saved = state.get(name, {}).get("signature", {}).get("fields", [])
        # DSPy restores a signature's field texts by position: a file made for other
        # fields would silently scramble them.
        if len(saved) != len(predictor.signature.fields):
            raise ValueError(
                f"{path} does not match the program's {name} signature; "
                "run `monstercoach flags-optimize` again"
            )
    program.load(str(path))
    provenance: dict[str, Any] = state.get(PROVENANCE_KEY, {})
    return program, provenance


@dataclass(frozen=True)
class _Part:
    name: str
    predictor: Any
    kwargs: dict[str, Any]


class DspyReviewer:
    """The DSPy program as a :class:`~.review.Reviewer`."""

    reads_client_words = True

    def __init__(
        self,
        program: FlagReview,
        lm: dspy.BaseLM,
        settings: ReviewSettings,
        *,
        description: str | None = None,
    ) -> None:
        self.program = program
        self.lm = lm
        self.settings = settings
        self.adapter = chat_adapter()
        self.slots = asyncio.Semaphore(settings.concurrency)
        self._description = description or f"rules + DSPy review by {settings.lm}"

    @classmethod
    def from_settings(cls, settings: ReviewSettings) -> DspyReviewer:
        program, provenance = load_program(settings.program_path)
        log.info(
            "DSPy reviewer ready",
            status="ready",
            lm=settings.lm,
            program=str(settings.program_path or SHIPPED_PROGRAM),
            compiled_with=provenance.get("lm"),
            concurrency=settings.concurrency,
        )
        return cls(program, build_lm(settings), settings)

    @property
    def description(self) -> str:
        return self._description

    async def review(self, weeks: Sequence[ClientWeek]) -> list[list[DraftFlag]]:
        # A context, not dspy.configure: it is per task (contextvars), so it never
        # touches another program's settings in the same process. No trace and no
        # history: a worker that reviews every client each week must not keep their
        # words in memory.
        with dspy.context(lm=self.lm, adapter=self.adapter, trace=None, disable_history=True):
            reviewed = await asyncio.gather(*(self._review_one(week) for week in weeks))
        failures = Counter(reason for _, reason in reviewed if reason is not None)
        if failures:
            # One line per chunk, not per client: an LM that is down fails them all.
            log.warning(
                "AI review failed for some clients; they get rule flags only",
                status="ai_failed",
                clients=len(weeks),
                failed=failures.total(),
                reasons=dict(failures.most_common(3)),
            )
        return [flags for flags, _ in reviewed]

    async def _review_one(self, week: ClientWeek) -> tuple[list[DraftFlag], str | None]:
        """One client's flags, and why its AI review failed (None when it did not)."""
        settings = self.settings
        inputs = lm_inputs(week, settings.words_max_items, settings.words_max_chars)
        if not inputs.needs_review:
            return list(week.rule_flags), None
        reviewed = asyncio.ensure_future(self._reviewed(inputs))
        reconciled = asyncio.ensure_future(
            self._reconciled(inputs) if inputs.needs_reconcile else _no_recon()
        )
        try:
            (notes, words_flags), recon = await asyncio.gather(reviewed, reconciled)
        except AiReviewFailed as failed:
            # The other call's answer would be dropped: stop it and free its slot.
            for task in (reviewed, reconciled):
                task.cancel()
            await asyncio.gather(reviewed, reconciled, return_exceptions=True)
            log.info(
                "AI review failed; rule flags only",
                status="ai_failed",
                client_id=str(week.metrics.client_id),
                iso_week=week.iso_week,
                reason=failed.reason,
            )
            return failed_flags(week.rule_flags, failed.reason), failed.reason
        flags = reviewed_flags(week, inputs, notes, words_flags, recon)
        return flags, None

    async def _reviewed(self, inputs: LmInputs) -> tuple[list[RuleFlagNote], list[WordsFlag]]:
        part = _Part("review", self.program.review, inputs.review_kwargs())
        prediction = await self._call(
            part,
            lambda p: review_problems(inputs, p.rule_flag_notes, p.words_flags),
        )
        return list(prediction.rule_flag_notes), list(prediction.words_flags)

    async def _reconciled(self, inputs: LmInputs) -> list[ReconFlag]:
        part = _Part("reconcile", self.program.reconcile, inputs.reconcile_kwargs())
        prediction = await self._call(part, lambda p: recon_problems(inputs, p.recon_flags))
        return list(prediction.recon_flags)

    async def _call(self, part: _Part, problems_of: Callable[[Any], list[str]]) -> Any:
        """One validated answer from ``part``'s predictor: at most two LM calls."""
        problems: list[str] = []
        for attempt in (1, 2):
            config = {} if attempt == 1 else {"temperature": self.settings.retry_temperature}
            async with self.slots:
                try:
                    async with asyncio.timeout(self.settings.timeout_seconds):
                        prediction = await part.predictor.acall(**part.kwargs, config=config)
                except TimeoutError:
                    raise AiReviewFailed(
                        f"{part.name} timed out after {self.settings.timeout_seconds:g} s"
                    ) from None
                except dspy.AdapterParseError:
                    problems = ["the answer did not parse into the output fields"]
                except Exception as exc:
                    # Transport, rate limit after LiteLLM's retries, a provider error: the
                    # type is enough, and a message could carry the endpoint or the prompt.
                    raise AiReviewFailed(f"{part.name}: LM error {type(exc).__name__}") from exc
                else:
                    problems = problems_of(prediction)
            if not problems:
                return prediction
            log.info(
                "invalid LM answer",
                status="invalid",
                part=part.name,
                attempt=attempt,
                problems=problems[:3],
            )
        raise AiReviewFailed(f"{part.name} answer invalid twice ({problems[0]})")


async def _no_recon() -> list[ReconFlag]:
    return []
