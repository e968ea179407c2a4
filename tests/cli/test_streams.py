"""``monstercoach streams status`` and ``dead-letters list|replay`` against real Redis."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import redis
from typer.testing import CliRunner

from monstercoach_cli.main import app
from monstercoach_schemas.messages import ScanRequested, ScanRequestedPayload
from tests.conftest import REDIS_URL

runner = CliRunner()


@pytest.fixture
def prefix() -> Iterator[str]:
    value = f"mctest:{uuid.uuid4().hex[:12]}:"
    yield value
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=f"{value}*"))
    if keys:
        client.delete(*keys)
    client.close()


def invoke(prefix: str, *args: str) -> tuple[int, str]:
    result = runner.invoke(
        app, list(args), env={"REDIS_URL": REDIS_URL, "MC_KEY_PREFIX": prefix, "COLUMNS": "200"}
    )
    return result.exit_code, result.output


def add_dead_letter(prefix: str) -> str:
    message = ScanRequested(
        idempotency_key="dl-1",
        payload=ScanRequestedPayload(iso_week="2026-W47", requested_by="coach"),
    )
    client = redis.Redis.from_url(REDIS_URL)
    entry_id = client.xadd(
        f"{prefix}stream:dead_letters",
        {
            "stream": "scans",
            "group": "flagworker",
            "original_id": "1-0",
            "type": message.type,
            "data": message.model_dump_json(),
            "error": "RuntimeError: flag worker could not reach the LM",
            "deliveries": 5,
            "dead_lettered_at": "2026-11-26T08:00:00+00:00",
        },
    )
    client.close()
    return entry_id.decode()


def test_dead_letters_list_shows_the_error(prefix: str) -> None:
    add_dead_letter(prefix)
    code, output = invoke(prefix, "dead-letters", "list")
    assert code == 0, output
    assert "flag worker could not reach the LM" in output
    assert "1 shown of 1 dead letters" in output


def test_replay_moves_the_message_back_onto_its_stream(prefix: str) -> None:
    dead_letter_id = add_dead_letter(prefix)
    code, output = invoke(prefix, "dead-letters", "replay", dead_letter_id)
    assert code == 0, output
    client = redis.Redis.from_url(REDIS_URL)
    try:
        assert client.xlen(f"{prefix}stream:dead_letters") == 0
        [(_, fields)] = client.xrange(f"{prefix}stream:scans")
        assert b'"idempotency_key":"dl-1"' in fields[b"data"]
    finally:
        client.close()

    code, output = invoke(prefix, "streams", "status")
    assert code == 0, output
    assert "scans" in output


def test_replay_of_an_unknown_id_fails_clearly(prefix: str) -> None:
    code, output = invoke(prefix, "dead-letters", "replay", "999-0")
    assert code == 1
    assert "no dead letter 999-0" in output


def test_replay_needs_ids_or_all(prefix: str) -> None:
    code, output = invoke(prefix, "dead-letters", "replay")
    assert code == 2
    assert "give dead-letter ids or --all" in output


def test_replay_all(prefix: str) -> None:
    add_dead_letter(prefix)
    add_dead_letter(prefix)
    code, output = invoke(prefix, "dead-letters", "replay", "--all")
    assert code == 0, output
    client = redis.Redis.from_url(REDIS_URL)
    try:
        assert client.xlen(f"{prefix}stream:scans") == 2
    finally:
        client.close()
