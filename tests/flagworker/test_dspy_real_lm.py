"""Opt-in: the reviewer against a real LM. Skipped unless ``DSPY_TEST_LM`` names one
(a LiteLLM model string; ``DSPY_API_BASE`` / ``DSPY_API_KEY`` as for the worker):

    DSPY_TEST_LM=openai/gpt-4o-mini uv run pytest tests/flagworker/test_dspy_real_lm.py
"""

from __future__ import annotations

import os

import pytest

from monstercoach_flagworker.dspy_review import AI_FAILED_NOTE, DspyReviewer, build_lm, load_program
from monstercoach_flagworker.settings import ReviewSettings
from monstercoach_schemas.domain import FlagCode, FlagSource
from tests.flagworker.dspy_builders import case

REAL_LM = os.environ.get("DSPY_TEST_LM", "")

pytestmark = [
    pytest.mark.real_lm,
    pytest.mark.skipif(not REAL_LM, reason="set DSPY_TEST_LM to call a real LM"),
]


async def test_a_real_lm_answers_valid_typed_flags() -> None:
    settings = ReviewSettings(lm=REAL_LM, concurrency=4)
    program, _ = load_program(settings.program_path)
    reviewer = DspyReviewer(program, build_lm(settings), settings)
    weeks = [case(row) for row in ("recon-trained-4x", "injury-knee", "neg-doms")]
    results = await reviewer.review([week.week for week in weeks])
    for flags in results:
        assert not any(AI_FAILED_NOTE in flag.rationale for flag in flags)
    recon, injury, clean = results
    assert FlagCode.RECON_TRAINING in {f.code for f in recon if f.source is FlagSource.DSPY}
    assert FlagCode.INJURY_MENTIONED in {f.code for f in injury}
    assert clean == []
