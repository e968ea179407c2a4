"""The ledger consumer's handler: answers close their client-day's fires."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import asyncpg

from monstercoach_kit.bus import RetryLater
from monstercoach_scheduler.answers import ledger_handler
from monstercoach_schemas.messages import CheckinAnswered, CheckinAnsweredPayload

from .conftest import AddClient

DAY = date(2026, 11, 26)


def checkin(client: uuid.UUID) -> CheckinAnswered:
    return CheckinAnswered(
        idempotency_key=f"checkin:{client}:{DAY}",
        payload=CheckinAnsweredPayload(
            client_id=client,
            local_date=DAY,
            energy=7,
            answered_at=datetime(2026, 11, 26, 8, tzinfo=UTC),
        ),
    )


async def fire_statuses(pool: asyncpg.Pool, client: uuid.UUID) -> list[str]:
    rows = await pool.fetch(
        "SELECT status FROM trigger_fires WHERE client_id = $1 AND local_date = $2", client, DAY
    )
    return [row["status"] for row in rows]


async def test_an_answer_of_a_client_not_recorded_yet_waits_for_them(
    pool: asyncpg.Pool, add_client: AddClient
) -> None:
    # The api (which records clients) is behind: the scheduler read the answer first.
    client = uuid.uuid4()
    handle = ledger_handler(pool)
    [result] = await handle([checkin(client)])
    assert isinstance(result, RetryLater)
    assert "unknown client" in str(result)
    assert await fire_statuses(pool, client) == []

    await add_client("UTC", id=client)  # the api caught up
    # The retry (same idempotency key: the failed attempt claimed nothing) closes the fire.
    assert await handle([checkin(client)]) == [None]
    assert set(await fire_statuses(pool, client)) == {"answered"}


async def test_in_a_batch_only_the_answer_of_the_unknown_client_waits(
    pool: asyncpg.Pool, add_client: AddClient
) -> None:
    known, stranger = await add_client("UTC"), uuid.uuid4()
    results = await ledger_handler(pool)([checkin(known), checkin(stranger)])
    assert results[0] is None
    assert isinstance(results[1], RetryLater)
    assert set(await fire_statuses(pool, known)) == {"answered"}
