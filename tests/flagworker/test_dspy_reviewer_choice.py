"""Which reviewer the worker builds: rules-only without ``DSPY_LM``, else the compiled
DSPy program with an LM configured from ``DSPY_*`` (and no network at start-up)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from monstercoach_flagworker.dspy_review import DspyReviewer
from monstercoach_flagworker.review import RULES_ONLY_NOTE, RulesOnly, build_reviewer
from monstercoach_flagworker.settings import ReviewSettings


@pytest.fixture(autouse=True)
def no_env_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No developer's .env and no DSPY_* from the shell: only what the test sets."""
    monkeypatch.chdir(tmp_path)
    for name in ("DSPY_LM", "DSPY_API_BASE", "DSPY_API_KEY", "DSPY_PROGRAM_PATH"):
        monkeypatch.delenv(name, raising=False)


def test_without_dspy_lm_the_worker_is_rules_only() -> None:
    reviewer = build_reviewer()
    assert isinstance(reviewer, RulesOnly)
    assert reviewer.description == RULES_ONLY_NOTE


def test_an_empty_dspy_lm_is_rules_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DSPY_LM", "")
    assert isinstance(build_reviewer(), RulesOnly)


def test_with_dspy_lm_the_compiled_program_reviews(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DSPY_LM", "openai/local-model")
    monkeypatch.setenv("DSPY_API_BASE", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("DSPY_API_KEY", "sk-test")
    monkeypatch.setenv("DSPY_CONCURRENCY", "5")
    reviewer = build_reviewer()
    assert isinstance(reviewer, DspyReviewer)
    assert reviewer.description == "rules + DSPy review by openai/local-model"
    assert reviewer.reads_client_words
    assert reviewer.lm.model == "openai/local-model"
    assert reviewer.lm.kwargs["api_base"] == "http://127.0.0.1:9/v1"
    assert reviewer.lm.cache is False  # a cached invalid answer would defeat the retry
    assert reviewer.program.review.demos  # the shipped compiled state was loaded
    assert reviewer.settings.concurrency == 5


def test_a_program_path_that_does_not_exist_fails_at_start(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DSPY_LM", "openai/local-model")
    monkeypatch.setenv("DSPY_PROGRAM_PATH", str(tmp_path / "missing.json"))
    with pytest.raises(FileNotFoundError):
        build_reviewer()


@pytest.mark.parametrize(
    ("name", "value"),
    [("concurrency", 0), ("timeout_seconds", 0), ("words_max_chars", 10), ("max_tokens", 10)],
)
def test_settings_are_bounded(name: str, value: int) -> None:
    overrides: dict[str, Any] = {name: value}
    with pytest.raises(ValidationError):
        ReviewSettings(_env_file=None, **overrides)


def test_the_api_key_is_never_printed() -> None:
    settings = ReviewSettings(_env_file=None, lm="openai/x", api_key="sk-very-secret")
    assert "sk-very-secret" not in repr(settings)


def test_empty_variables_mean_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    """As in .env.example: `DSPY_API_KEY=` must not send an empty key, nor
    `DSPY_PROGRAM_PATH=` load the current directory."""
    for name in ("DSPY_API_BASE", "DSPY_API_KEY", "DSPY_PROGRAM_PATH"):
        monkeypatch.setenv(name, "")
    settings = ReviewSettings(_env_file=None)
    assert (settings.api_base, settings.api_key, settings.program_path) == (None, None, None)
