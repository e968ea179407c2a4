"""Event ingestion: what the other services report is recorded once, in order, durably."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import asyncpg
from structlog.testing import capture_logs

from monstercoach_api.app import create_app
from monstercoach_api.clients import repository as clients
from monstercoach_api.ingest.consumers import running_consumers
from monstercoach_api.settings import ApiSettings
from monstercoach_kit.bus import StreamBus
from monstercoach_kit.db import create_pool
from monstercoach_kit.settings import KitSettings
from monstercoach_schemas.domain import (
    ClientStatus,
    DeliveryStatus,
    FlagSeverity,
    JobCardItemStatus,
)
from monstercoach_schemas.messages import (
    ClientStatusChanged,
    ClientStatusChangedPayload,
    Envelope,
    JobCardIssued,
    JobCardItemMarked,
)
from monstercoach_schemas.streams import Stream

from .helpers import (
    T0,
    card,
    checkin,
    close_out,
    dm,
    drained,
    eventually,
    fire_missed,
    flag,
    mark,
    meal,
    onboarded,
    outcome,
    requested,
    running_app,
    workout,
)

DAY = T0.date()
HOLDING = "postgres unavailable; holding the batch"
WAITING = "prerequisite not recorded yet; will retry"
FAST = {"block_ms": 50, "min_idle_ms": 200, "maintenance_every_s": 0.05, "max_deliveries": 3}


async def ingest(
    bus: StreamBus, pool: asyncpg.Pool, *batches: Sequence[Envelope[Any]], **config: Any
) -> None:
    """Publish each batch and let the api's consumers record it before the next
    (``config`` overrides the consumers' fast test settings)."""
    async with running_consumers(bus, pool, **{**FAST, **config}):
        for batch in batches:
            await bus.publish_many(batch)
            await eventually(lambda: drained(bus))


async def new_client(bus: StreamBus, pool: asyncpg.Pool, time_zone: str = "UTC") -> uuid.UUID:
    message = onboarded(f"5000000000000{uuid.uuid4().int % 10**5:05d}", time_zone)
    await ingest(bus, pool, [message])
    return message.payload.client_id


async def statuses(pool: asyncpg.Pool, issued: JobCardIssued) -> list[str]:
    rows = await pool.fetch(
        "SELECT status FROM job_card_items WHERE card_id = $1 ORDER BY position",
        issued.payload.card_id,
    )
    return [row["status"] for row in rows]


async def dead_letters(bus: StreamBus) -> list[str]:
    return [letter.error for letter in await bus.dead_letters()]


class TestRecording:
    async def test_every_event_type_is_recorded_once_even_when_redelivered(
        self, bus: StreamBus, pool: asyncpg.Pool
    ) -> None:
        joined = onboarded("500000000000000001", time_zone="Asia/Tokyo")
        client = joined.payload.client_id
        issued = card(client, DAY)
        delivery = uuid.uuid4()
        late_evening = T0.replace(hour=23, minute=30)  # 08:30 the next day in Tokyo
        story: list[Envelope[Any]] = [
            joined,
            checkin(client, DAY, weight=82.4, at=T0),
            meal(client, at=late_evening),
            workout(client, at=T0 + timedelta(hours=1)),
            issued,
            _mark_done(issued, 0),
            close_out(client, DAY, at=T0 + timedelta(hours=14)),
            dm(client, "600000000000000001", at=T0 + timedelta(hours=2)),
            requested(delivery, client),
            outcome(delivery, client, DeliveryStatus.SENT),
            flag(client),
            fire_missed(client, DAY, at=T0 + timedelta(days=1)),
        ]
        # The client first: the request travels on another stream and could overtake
        # the onboarding. Then every entry twice, as a redelivery after a crash would.
        await ingest(bus, pool, [joined], story, story)

        counts = await pool.fetchrow(
            """
            SELECT (SELECT count(*) FROM clients) AS clients,
                   (SELECT count(*) FROM checkins) AS checkins,
                   (SELECT count(*) FROM weight_entries) AS weights,
                   (SELECT count(*) FROM meal_logs) AS meals,
                   (SELECT count(*) FROM workout_logs) AS workouts,
                   (SELECT count(*) FROM job_cards) AS cards,
                   (SELECT count(*) FROM job_card_items) AS items,
                   (SELECT count(*) FROM direct_messages) AS dms,
                   (SELECT count(*) FROM deliveries) AS deliveries,
                   (SELECT count(*) FROM flags) AS flags,
                   (SELECT count(*) FROM trigger_fires) AS fires
            """
        )
        assert dict(counts) == {
            "clients": 1,
            "checkins": 1,
            "weights": 1,
            "meals": 1,
            "workouts": 1,
            "cards": 1,
            "items": 3,
            "dms": 1,
            "deliveries": 1,
            "flags": 1,
            "fires": 0,  # the scheduler's ledger: the api never writes it
        }
        assert await statuses(pool, issued) == ["done", "missed", "missed"]
        meal_day = await pool.fetchval("SELECT local_date FROM meal_logs")
        assert meal_day == DAY + timedelta(days=1)  # the client's own calendar day
        assert await pool.fetchval("SELECT weight_kg::float FROM weight_entries") == 82.4
        row = await pool.fetchrow("SELECT status, text FROM deliveries")
        assert (row["status"], row["text"]) == ("sent", "Hey Sam, how is the week going?")
        # The newest thing the client did, not the miss or the close-out after it.
        assert await pool.fetchval("SELECT last_activity_at FROM clients") == late_evening
        assert await dead_letters(bus) == []

    async def test_backlog_from_while_the_api_was_down_is_recorded_in_order(
        self,
        bus: StreamBus,
        pool: asyncpg.Pool,
        kit_settings: KitSettings,
        api_settings: ApiSettings,
    ) -> None:
        joined = [onboarded(f"5100000000000000{i:02d}") for i in range(20)]
        backlog: list[Envelope[Any]] = list(joined)
        for minute, weight in enumerate((80.0, 79.5, 79.0)):
            backlog += [
                checkin(j.payload.client_id, DAY, weight=weight, at=T0 + timedelta(minutes=minute))
                for j in joined
            ]
        issued = card(joined[0].payload.client_id, DAY)
        backlog += [
            issued,
            _mark(issued, 0, JobCardItemStatus.DONE, minutes=1),
            _mark(issued, 0, JobCardItemStatus.SKIPPED, minutes=2),
        ]
        await bus.publish_many(backlog)  # the api is not running yet

        app = create_app(kit_settings, api_settings.model_copy(update={"ingest": True}))
        async with running_app(app):
            await eventually(lambda: drained(bus))

        weights = await pool.fetch("SELECT DISTINCT weight_kg::float AS kg FROM checkins")
        assert [row["kg"] for row in weights] == [79.0]  # each client's last answer
        assert await pool.fetchval("SELECT count(*) FROM weight_entries") == 20
        assert await statuses(pool, issued) == ["skipped", "pending", "pending"]


class TestDeliveries:
    async def test_outcome_recorded_before_its_request_keeps_its_status(
        self, bus: StreamBus, pool: asyncpg.Pool
    ) -> None:
        client = await new_client(bus, pool)
        delivery = uuid.uuid4()
        await ingest(
            bus,
            pool,
            [outcome(delivery, client, DeliveryStatus.SENT, at=T0 + timedelta(seconds=3))],
            [requested(delivery, client, at=T0)],
        )
        row = await pool.fetchrow("SELECT * FROM deliveries")
        assert row["status"] == "sent"
        assert row["text"] == "Hey Sam, how is the week going?"  # what was actually sent
        assert row["created_at"] == T0  # when it was asked for
        assert row["sent_at"] == T0 + timedelta(seconds=3)
        assert row["discord_message_id"] == "400000000000000001"

    async def test_request_alone_is_queued_then_outcomes_only_move_forward(
        self, bus: StreamBus, pool: asyncpg.Pool
    ) -> None:
        client = await new_client(bus, pool)
        delivery = uuid.uuid4()
        await ingest(bus, pool, [requested(delivery, client)])
        assert await pool.fetchval("SELECT status FROM deliveries") == "queued"
        await ingest(
            bus,
            pool,
            [outcome(delivery, client, DeliveryStatus.SENT, attempts=2)],
            # Late reports: an earlier failed attempt, and a stray "queued".
            [
                outcome(
                    delivery, client, DeliveryStatus.FAILED, attempts=1, error="503 from Discord"
                ),
                outcome(delivery, client, DeliveryStatus.QUEUED, attempts=2),
            ],
        )
        row = await pool.fetchrow("SELECT status, attempts, text FROM deliveries")
        assert (row["status"], row["attempts"]) == ("sent", 2)
        assert row["text"] == "Hey Sam, how is the week going?"

    async def test_coach_digest_without_a_client_is_recorded(
        self, bus: StreamBus, pool: asyncpg.Pool
    ) -> None:
        delivery = uuid.uuid4()
        await ingest(bus, pool, [requested(delivery, None)])
        assert await pool.fetchval(
            "SELECT client_id IS NULL FROM deliveries WHERE id = $1", delivery
        )


class TestJobCards:
    async def test_close_out_turns_only_pending_items_missed(
        self, bus: StreamBus, pool: asyncpg.Pool
    ) -> None:
        client = await new_client(bus, pool)
        today, tomorrow = card(client, DAY), card(client, DAY + timedelta(days=1))
        await ingest(
            bus,
            pool,
            [
                today,
                tomorrow,
                _mark(today, 0, JobCardItemStatus.DONE, minutes=5),
                _mark(today, 1, JobCardItemStatus.SKIPPED, minutes=6),
                close_out(client, DAY, at=T0 + timedelta(hours=15)),
            ],
        )
        assert await statuses(pool, today) == ["done", "skipped", "missed"]
        assert await statuses(pool, tomorrow) == ["pending"] * 3

    async def test_an_answer_given_before_the_close_out_wins_even_if_it_arrives_after(
        self, bus: StreamBus, pool: asyncpg.Pool
    ) -> None:
        client = await new_client(bus, pool)
        issued = card(client, DAY)
        await ingest(
            bus,
            pool,
            [issued, close_out(client, DAY, at=T0 + timedelta(hours=15))],
            [_mark(issued, 2, JobCardItemStatus.DONE, minutes=15 * 60 - 1)],
        )
        assert await statuses(pool, issued) == ["missed", "missed", "done"]

    async def test_reissued_card_is_idempotent_by_card_id(
        self, bus: StreamBus, pool: asyncpg.Pool
    ) -> None:
        client = await new_client(bus, pool)
        issued = card(client, DAY)
        again = issued.model_copy(update={"idempotency_key": "re-published with a new key"})
        await ingest(bus, pool, [issued], [again])
        assert await pool.fetchval("SELECT count(*) FROM job_card_items") == 3
        assert await dead_letters(bus) == []


async def stored_week(pool: asyncpg.Pool, client: uuid.UUID) -> tuple[int, int, bool] | None:
    row = await pool.fetchrow(
        "SELECT due, done, stale FROM client_weeks WHERE client_id = $1", client
    )
    return None if row is None else (row["due"], row["done"], row["stale"])


async def store_weeks(pool: asyncpg.Pool) -> None:
    """What the api's background refresh does (as of ``T0``)."""
    async with pool.acquire() as conn, conn.transaction():
        await clients.store_ranking(conn, T0)


async def row_week(pool: asyncpg.Pool, client: uuid.UUID) -> tuple[int, int]:
    """The 7-day compliance the client's roster row shows as of ``T0``."""
    async with pool.acquire() as conn:
        row = json.loads(await clients.summary_json(conn, T0, client))
    return row["compliance_7d"]["due"], row["compliance_7d"]["done"]


class TestStoredWeeks:
    """An event about one of the days of a client's stored 7-day week marks it stale, so
    the roster row computes the week (and shows the event) until the next refresh."""

    async def test_a_late_event_shows_on_the_row_at_once(
        self, bus: StreamBus, pool: asyncpg.Pool
    ) -> None:
        client = await new_client(bus, pool)
        yesterday, today = card(client, DAY - timedelta(days=1)), card(client, DAY)
        await ingest(bus, pool, [yesterday, today])
        await store_weeks(pool)
        assert await stored_week(pool, client) == (3, 0, False)

        # About today: not in the week, which stays as stored.
        await ingest(bus, pool, [checkin(client, DAY), _mark_done(today, 0)])
        assert await stored_week(pool, client) == (3, 0, False)

        # The answer to yesterday's check-in, late (given without a prompt: due and done).
        await ingest(bus, pool, [checkin(client, DAY - timedelta(days=1))])
        assert await stored_week(pool, client) == (3, 0, True)
        assert await row_week(pool, client) == (4, 1)
        await store_weeks(pool)
        assert await stored_week(pool, client) == (4, 1, False)

        # A tap on yesterday's card: its day comes from the card.
        await ingest(bus, pool, [_mark_done(yesterday, 2)])
        assert await stored_week(pool, client) == (4, 1, True)
        assert await row_week(pool, client) == (4, 2)

    async def test_a_late_event_of_a_client_without_a_stored_week_is_only_recorded(
        self, bus: StreamBus, pool: asyncpg.Pool
    ) -> None:
        client = await new_client(bus, pool)
        await ingest(bus, pool, [checkin(client, DAY - timedelta(days=2))])
        assert await stored_week(pool, client) is None
        assert await row_week(pool, client) == (1, 1)
        assert await dead_letters(bus) == []


class TestCorrections:
    async def test_a_second_checkin_replaces_the_first_and_moves_its_weight(
        self, bus: StreamBus, pool: asyncpg.Pool
    ) -> None:
        client = await new_client(bus, pool)
        await ingest(
            bus,
            pool,
            [checkin(client, DAY, weight=80.5, at=T0)],
            [checkin(client, DAY, weight=80.2, at=T0 + timedelta(minutes=5))],
            # An older answer retried late changes nothing.
            [checkin(client, DAY, weight=99.0, at=T0 + timedelta(minutes=1))],
        )
        assert await pool.fetchval("SELECT weight_kg::float FROM checkins") == 80.2
        assert await pool.fetchval("SELECT weight_kg::float FROM weight_entries") == 80.2
        await ingest(bus, pool, [checkin(client, DAY, weight=None, at=T0 + timedelta(hours=1))])
        assert await pool.fetchval("SELECT count(*) FROM weight_entries") == 0

    async def test_reraised_flag_refreshes_evidence_and_keeps_the_coach_status(
        self, bus: StreamBus, pool: asyncpg.Pool
    ) -> None:
        client = await new_client(bus, pool)
        first = flag(client, FlagSeverity.MEDIUM, evidence_value=0.4)
        await ingest(bus, pool, [first])
        await pool.execute("UPDATE flags SET status = 'acknowledged', status_note = 'on it'")
        again = flag(client, FlagSeverity.HIGH, at=T0 + timedelta(hours=1), evidence_value=0.2)
        await ingest(bus, pool, [again])
        row = await pool.fetchrow("SELECT * FROM flags")
        assert (row["status"], row["status_note"]) == ("acknowledged", "on it")
        assert row["severity"] == "high"
        assert row["evidence"][0]["value"] == 0.2
        assert row["id"] == first.payload.flag_id


class TestStatusChanges:
    async def test_a_coach_pausing_from_discord_is_applied_and_audited(
        self, bus: StreamBus, pool: asyncpg.Pool
    ) -> None:
        client = await new_client(bus, pool)

        def change(status: ClientStatus, minute: int) -> ClientStatusChanged:
            return ClientStatusChanged(
                idempotency_key=f"status:{status}:{minute}",
                payload=ClientStatusChangedPayload(
                    client_id=client,
                    status=status,
                    changed_by_discord_id="100000000000000001",
                    changed_at=T0 + timedelta(minutes=minute),
                ),
            )

        # Two changes in one batch: the later wins; a repeat of the same status is no change.
        await ingest(bus, pool, [change(ClientStatus.ARCHIVED, 2), change(ClientStatus.PAUSED, 1)])
        await ingest(bus, pool, [change(ClientStatus.ARCHIVED, 3)])
        assert await pool.fetchval("SELECT status FROM clients WHERE id = $1", client) == "archived"
        audit = await pool.fetch("SELECT coach_discord_id, action, target, details FROM audit_log")
        assert [(r["coach_discord_id"], r["action"], r["target"]) for r in audit] == [
            ("100000000000000001", "client.status", str(client))
        ]
        assert audit[0]["details"] == {"to": "archived", "via": "discord"}


class TestOutOfOrder:
    async def test_a_message_about_a_client_not_recorded_yet_waits_for_them(
        self, bus: StreamBus, pool: asyncpg.Pool
    ) -> None:
        joined = onboarded("510000000000000001")
        client = joined.payload.client_id
        issued = card(client, DAY)
        with capture_logs() as logs:
            async with running_consumers(bus, pool, **FAST):
                # The onboarding and the card come after what refers to them, as when
                # they sat in a dead consumer's pending list (retried after later entries).
                await bus.publish_many([meal(client), _mark_done(issued, 0)])
                await eventually(lambda: _logged(logs, WAITING))
                await bus.publish_many([joined, issued])
                await eventually(lambda: drained(bus))
        assert await pool.fetchval("SELECT count(*) FROM meal_logs") == 1
        assert await statuses(pool, issued) == ["done", "pending", "pending"]
        assert await dead_letters(bus) == []


class TestBadMessages:
    async def test_unknown_client_is_dead_lettered_after_the_wait_and_neighbours_recorded(
        self, bus: StreamBus, pool: asyncpg.Pool
    ) -> None:
        client = await new_client(bus, pool)
        stranger = uuid.uuid4()
        await ingest(
            bus,
            pool,
            [
                checkin(client, DAY),
                meal(stranger),
                workout(client),
                _mark_done(card(client, DAY - timedelta(days=3)), 0),  # never issued
            ],
            prerequisite_wait_ms=500,
        )
        assert await pool.fetchval("SELECT count(*) FROM checkins") == 1
        assert await pool.fetchval("SELECT count(*) FROM workout_logs") == 1
        errors = await dead_letters(bus)
        assert len(errors) == 2
        assert all(error.startswith("a prerequisite was still missing") for error in errors)
        assert any(f"unknown client id(s): {stranger}" in error for error in errors)
        assert any("no such job-card item" in error for error in errors)

    async def test_an_event_on_the_deliveries_stream_is_dead_lettered_not_recorded(
        self, bus: StreamBus, pool: asyncpg.Pool
    ) -> None:
        client = await new_client(bus, pool)
        stray = checkin(client, DAY)
        await bus.redis.xadd(
            bus.key(Stream.DELIVERIES), {"type": stray.type, "data": stray.model_dump_json()}
        )
        await ingest(bus, pool, [])
        assert await pool.fetchval("SELECT count(*) FROM checkins") == 0
        [error] = await dead_letters(bus)
        assert "checkin.answered does not travel on the deliveries stream" in error

    async def test_second_card_for_a_day_is_dead_lettered(
        self, bus: StreamBus, pool: asyncpg.Pool
    ) -> None:
        client = await new_client(bus, pool)
        first, rival = card(client, DAY), card(client, DAY)
        await ingest(bus, pool, [first, rival])
        assert await pool.fetchval("SELECT id FROM job_cards") == first.payload.card_id
        errors = await dead_letters(bus)
        assert len(errors) == 1
        assert "a different job card already exists" in errors[0]


class TestDatabaseOutage:
    async def test_batches_wait_for_postgres_instead_of_dead_lettering(
        self, bus: StreamBus, pool: asyncpg.Pool, database_url: str
    ) -> None:
        async with closed_door_to_postgres(database_url) as door:
            # max_deliveries=1: without the wait, the first failure dead-letters. (A long
            # min_idle: the kit's consumer reclaims its own slow batch before acking it.)
            held_pool = await create_pool(KitSettings(DATABASE_URL=door.url), min_size=0)
            try:
                with capture_logs() as logs:
                    await bus.publish_many([onboarded("520000000000000001")])
                    async with running_consumers(
                        bus, held_pool, **{**FAST, "max_deliveries": 1, "min_idle_ms": 60_000}
                    ):
                        await eventually(lambda: _logged(logs, HOLDING))
                        await door.open()
                        await eventually(lambda: drained(bus))
            finally:
                await held_pool.close()
        assert await pool.fetchval("SELECT count(*) FROM clients") == 1
        assert await dead_letters(bus) == []


# --- helpers -----------------------------------------------------------------------------------


def _mark(
    issued: JobCardIssued, position: int, status: JobCardItemStatus, minutes: int
) -> JobCardItemMarked:
    return mark(issued, position, status, at=T0 + timedelta(minutes=minutes))


def _mark_done(issued: JobCardIssued, position: int) -> JobCardItemMarked:
    return _mark(issued, position, JobCardItemStatus.DONE, minutes=10)


async def _logged(logs: list[dict[str, Any]], event: str) -> bool:
    return any(entry["event"] == event for entry in logs)


class Door:
    """A loopback port in front of PostgreSQL that refuses connections until opened."""

    def __init__(self, database_url: str) -> None:
        parts = urlsplit(database_url)
        self.target = (parts.hostname or "127.0.0.1", parts.port or 5432)
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        userinfo = parts.netloc.rpartition("@")[0]
        self.url = parts._replace(netloc=f"{userinfo}@127.0.0.1:{self.port}").geturl()
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.Task[None]] = set()

    async def open(self) -> None:
        self._server = await asyncio.start_server(self._connect, "127.0.0.1", self.port)

    async def close(self) -> None:
        for task in self._pipes:
            task.cancel()
        await asyncio.gather(*self._pipes, return_exceptions=True)
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        for source, sink in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.create_task(_pipe(source, sink))
            self._pipes.add(task)
            task.add_done_callback(self._pipes.discard)


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    try:
        while data := await source.read(65536):
            sink.write(data)
            await sink.drain()
    finally:
        sink.close()


@contextlib.asynccontextmanager
async def closed_door_to_postgres(database_url: str) -> AsyncIterator[Door]:
    door = Door(database_url)
    try:
        yield door
    finally:
        await door.close()
