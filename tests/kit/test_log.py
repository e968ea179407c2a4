"""No secret reaches a log line; every line is one JSON object."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from monstercoach_kit.log import configure_logging, get_logger


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """configure_logging binds to capsys' stdout, which closes after the test."""
    handlers = logging.getLogger().handlers[:]
    yield
    structlog.reset_defaults()
    logging.getLogger().handlers = handlers


def test_secrets_are_redacted_and_lines_are_json(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("test", "INFO", json=True)
    get_logger("t").info(
        "connecting",
        status="ok",
        discord_token="abc.def.ghi",
        url="postgresql://coach:hunter2@db.example.com:5432/mc",
        headers={"Authorization": "Bearer xyz", "Accept": "json"},
    )
    line = capsys.readouterr().out.strip()
    assert "hunter2" not in line
    assert "abc.def.ghi" not in line
    assert "Bearer xyz" not in line
    record = json.loads(line)
    assert record["status"] == "ok"
    assert record["service"] == "test"
    assert record["url"] == "postgresql://coach:***@db.example.com:5432/mc"
    assert record["headers"] == {"Authorization": "***", "Accept": "json"}
