"""The tick against real PostgreSQL and Redis: fire once, at the right local time, and
turn whatever goes unanswered or unsent into ``missed`` with a reason."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import asyncpg
import pytest
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from monstercoach_kit.bus import StreamBus
from monstercoach_scheduler import composers, store
from monstercoach_scheduler.answers import ledger_handler
from monstercoach_scheduler.engines.base import FireContext
from monstercoach_scheduler.settings import SchedulerSettings
from monstercoach_scheduler.tick import SCHEDULER_DOWN, Ticker
from monstercoach_schemas.domain import DeliveryKind, DeliveryStatus, FlagCode
from monstercoach_schemas.messages import (
    CheckinAnswered,
    CheckinAnsweredPayload,
    DeliveryOutcome,
    DeliveryOutcomePayload,
    DeliveryRequested,
    FireMissed,
    FireRef,
    FlagRaised,
    JobCardClosedOut,
    JobCardIssued,
    ScanRequested,
    parse_message,
)

from .conftest import AddClient, read_stream


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


async def deliveries(bus: StreamBus) -> list[DeliveryRequested]:
    return [m for m in await read_stream(bus, "deliveries") if isinstance(m, DeliveryRequested)]


async def events_of(bus: StreamBus, kind: type) -> list:  # type: ignore[type-arg]
    return [m for m in await read_stream(bus, "events") if isinstance(m, kind)]


async def ledger(pool: asyncpg.Pool, trigger: str) -> list[asyncpg.Record]:
    return await pool.fetch(
        "SELECT * FROM trigger_fires WHERE trigger = $1 ORDER BY local_date", trigger
    )


# --- firing at the right local time, once ---------------------------------------------------


async def test_a_trigger_fires_at_the_clients_local_time_and_only_once(
    ticker: Ticker, add_client: AddClient, bus: StreamBus, pool: asyncpg.Pool
) -> None:
    client = await add_client("Asia/Kathmandu")  # UTC+05:45
    await ticker.prepare(at("2026-11-26T01:00Z"))

    assert (await ticker.tick(at("2026-11-26T01:14Z"))).fired == 0
    report = await ticker.tick(at("2026-11-26T01:15Z"))  # 07:00 in Kathmandu
    assert (report.fired, report.published) == (1, 1)

    [card] = await deliveries(bus)
    assert card.payload.kind is DeliveryKind.JOBCARD
    assert card.payload.client_id == client
    assert card.payload.fire == FireRef(
        engine="jobcard", trigger="morning_card", local_date=date(2026, 11, 26)
    )
    [issued] = await events_of(bus, JobCardIssued)
    assert len(card.payload.buttons) == 2 * len(issued.payload.items)
    assert str(issued.payload.card_id) in card.payload.buttons[0].custom_id

    again = await ticker.tick(at("2026-11-26T01:15Z"))
    assert (again.fired, again.published) == (0, 0)
    assert len(await deliveries(bus)) == 1
    [row] = await ledger(pool, "morning_card")
    assert row["status"] == "enqueued"
    next_day = await pool.fetchval(
        "SELECT local_date FROM next_fires WHERE client_id = $1 AND trigger = 'morning_card'",
        client,
    )
    assert next_day == date(2026, 11, 27)


@pytest.mark.parametrize("ahead", [False, True], ids=["composed-in-tick", "composed-ahead"])
async def test_two_schedulers_at_once_fire_each_pair_once(
    pool: asyncpg.Pool, bus: StreamBus, add_client: AddClient, ahead: bool
) -> None:
    for _ in range(300):
        await add_client("Europe/Berlin")
    settings = SchedulerSettings(batch_size=50, resync_lag_seconds=0)
    first, second = (Ticker(pool, bus, settings, "UTC") for _ in range(2))
    await asyncio.gather(
        first.prepare(at("2026-11-26T05:00Z")), second.prepare(at("2026-11-26T05:00Z"))
    )
    if ahead:  # both hold the same fires composed ahead (a batch's worth each)
        for ticker in (first, second):
            assert await ticker.compose_ahead(at("2026-11-26T05:59Z")) == 50

    reports = await asyncio.gather(
        first.tick(at("2026-11-26T06:00Z")), second.tick(at("2026-11-26T06:00Z"))
    )  # 07:00 in Berlin

    assert sum(r.fired for r in reports) == 300
    assert sum(r.published for r in reports) == 300
    sent = await deliveries(bus)
    assert len(sent) == len({d.payload.delivery_id for d in sent}) == 300


async def test_a_crash_between_ledger_and_enqueue_loses_nothing_and_sends_once(
    pool: asyncpg.Pool,
    bus: StreamBus,
    add_client: AddClient,
    scheduler_settings: SchedulerSettings,
) -> None:
    await add_client()
    dead_redis = aioredis.Redis(host="127.0.0.1", port=1, retry=Retry(NoBackoff(), 0))
    broken = Ticker(pool, StreamBus(dead_redis, prefix=bus.prefix), scheduler_settings, "UTC")
    await broken.prepare(at("2026-11-26T06:00Z"))

    report = await broken.tick(at("2026-11-26T07:00Z"))
    await dead_redis.aclose()
    assert report.fired == 1
    assert report.publish_error is not None
    [row] = await ledger(pool, "morning_card")
    assert (row["status"], row["enqueued_at"]) == ("fired", None)

    healthy = Ticker(pool, bus, scheduler_settings, "UTC")
    later = await healthy.tick(at("2026-11-26T07:01Z"))
    assert (later.fired, later.published) == (0, 1)
    assert len(await deliveries(bus)) == 1
    assert (await healthy.tick(at("2026-11-26T07:02Z"))).published == 0


@pytest.mark.parametrize("ahead", [False, True], ids=["composed-in-tick", "composed-ahead"])
async def test_every_message_a_tick_publishes_is_the_shared_schema_on_the_wire(
    ticker: Ticker, add_client: AddClient, bus: StreamBus, ahead: bool
) -> None:
    for zone_name in ("UTC", "Asia/Kathmandu", "America/St_Johns", "Pacific/Kiritimati"):
        await add_client(zone_name, training_days=["mon", "thu"], goal="recomp")
    await ticker.prepare(at("2026-11-25T00:00Z"))
    step = timedelta(minutes=15)
    for hour in range(48):
        for minute in (0, 15, 30, 45):
            now = at(f"2026-11-{25 + hour // 24}T{hour % 24:02d}:{minute:02d}Z")
            if ahead:  # as the service does after each tick, for the one to come
                await ticker.compose_ahead(now - step, step)
            await ticker.tick(now)

    # The entries themselves, as a consumer reads them: each parses as the shared schema,
    # under the type it was published as, and serialises back to the very same bytes.
    entries = [
        fields
        for stream in ("deliveries", "events")
        for _, fields in await bus.redis.xrange(bus.key(stream))
    ]
    for fields in entries:
        message = parse_message(fields[b"data"])
        assert message.type == fields[b"type"].decode()
        assert message.model_dump_json().encode() == fields[b"data"]
    # Every kind of message a tick composes was among them (unanswered prompts: missed).
    assert {fields[b"type"] for fields in entries} == {
        b"delivery.requested",
        b"jobcard.issued",
        b"jobcard.closed_out",
        b"fire.missed",
    }


async def test_a_fire_whose_engine_fails_is_recorded_missed_and_the_rest_go_out(
    ticker: Ticker,
    add_client: AddClient,
    bus: StreamBus,
    pool: asyncpg.Pool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for _ in range(3):
        await add_client("UTC")
    await ticker.prepare(at("2026-11-26T11:00Z"))

    def broken(context: FireContext) -> list[DeliveryRequested]:
        raise RuntimeError("engine bug")

    monkeypatch.setitem(composers.COMPOSERS, ("meals", "lunch_reminder"), broken)
    report = await ticker.tick(at("2026-11-26T12:30Z"))
    assert (report.fired, report.published) == (3, 0)
    rows = await ledger(pool, "lunch_reminder")
    assert {(r["status"], r["reason"]) for r in rows} == {
        ("missed", "could not compose: RuntimeError: engine bug")
    }
    assert {r["enqueued_at"] for r in rows} == {None}
    # Reported as missed, once, by the tick that recorded it or the next.
    await ticker.tick(at("2026-11-26T12:31Z"))
    missed = await events_of(bus, FireMissed)
    assert sorted(m.payload.client_id for m in missed) == sorted(r["client_id"] for r in rows)
    assert await deliveries(bus) == []

    monkeypatch.undo()
    await ticker.tick(at("2026-11-26T19:00Z"))
    assert len(await deliveries(bus)) == 3  # dinner reminders: composing works again


async def test_taking_fires_to_publish_skips_answered_and_already_taken_ones(
    pool: asyncpg.Pool, add_client: AddClient
) -> None:
    client = await add_client("UTC")
    day = date(2026, 11, 26)
    statuses = {"morning_card": "fired", "morning_prompt": "answered", "close_out": "enqueued"}
    for trigger, status in statuses.items():
        engine = "checkin" if trigger == "morning_prompt" else "jobcard"
        await pool.execute(
            "INSERT INTO trigger_fires (engine, trigger, client_id, local_date, scheduled_for, "
            "status) VALUES ($1, $2, $3, $4, now(), $5)",
            engine, trigger, client, day, status,
        )  # fmt: skip
    engines = ["jobcard", "checkin", "jobcard"]
    now = at("2026-11-26T07:00Z")
    async with pool.acquire() as conn, conn.transaction():
        taken = await conn.fetch(
            store.CLAIM_FIRED, now, engines, list(statuses), [client] * 3, [day] * 3
        )
    assert [row["n"] for row in taken] == [1]
    row = await pool.fetchrow(
        "SELECT status, enqueued_at FROM trigger_fires WHERE trigger = 'morning_card'"
    )
    assert (row["status"], row["enqueued_at"]) == ("enqueued", now)


# --- deadlines, answers and missed ----------------------------------------------------------


async def test_an_unanswered_prompt_is_missed_at_its_deadline(
    ticker: Ticker, add_client: AddClient, bus: StreamBus, pool: asyncpg.Pool
) -> None:
    client = await add_client("UTC")
    await ticker.prepare(at("2026-11-26T07:00Z"))
    await ticker.tick(at("2026-11-26T07:30Z"))
    [prompt] = await deliveries(bus)
    assert prompt.payload.not_after == at("2026-11-26T12:00Z")

    assert (await ticker.tick(at("2026-11-26T11:59Z"))).missed_deadline == 0
    report = await ticker.tick(at("2026-11-26T12:00Z"))
    assert (report.missed_deadline, report.reported_missed) == (1, 1)

    [missed] = await events_of(bus, FireMissed)
    assert missed.payload.client_id == client
    assert (missed.payload.trigger, missed.payload.reason) == (
        "morning_prompt",
        "no answer by the deadline",
    )
    [row] = await ledger(pool, "morning_prompt")
    assert row["status"] == "missed"
    assert row["reported_at"] is not None
    assert (await ticker.tick(at("2026-11-26T12:01Z"))).reported_missed == 0


def checkin(client: uuid.UUID, day: date, answered: datetime) -> CheckinAnswered:
    return CheckinAnswered(
        idempotency_key=f"checkin:{client}:{day}",
        payload=CheckinAnsweredPayload(
            client_id=client, local_date=day, energy=7, answered_at=answered
        ),
    )


async def test_an_answered_prompt_is_not_missed(
    ticker: Ticker, add_client: AddClient, bus: StreamBus, pool: asyncpg.Pool
) -> None:
    client = await add_client("UTC")
    await ticker.prepare(at("2026-11-26T07:00Z"))
    await ticker.tick(at("2026-11-26T07:30Z"))
    handle = ledger_handler(pool)
    message = checkin(client, date(2026, 11, 26), at("2026-11-26T08:10Z"))
    assert await handle([message]) == [None]
    assert await handle([message]) == [None]  # redelivered: still fine, still once

    assert (await ticker.tick(at("2026-11-26T12:00Z"))).missed_deadline == 0
    [row] = await ledger(pool, "morning_prompt")
    assert row["status"] == "answered"
    assert await events_of(bus, FireMissed) == []


async def test_a_checkin_before_the_prompt_means_no_prompt_that_day(
    ticker: Ticker, add_client: AddClient, bus: StreamBus, pool: asyncpg.Pool
) -> None:
    client = await add_client("UTC")
    await ticker.prepare(at("2026-11-26T06:00Z"))
    await ledger_handler(pool)([checkin(client, date(2026, 11, 26), at("2026-11-26T06:40Z"))])

    await ticker.tick(at("2026-11-26T07:00Z"))
    report = await ticker.tick(at("2026-11-26T07:30Z"))
    assert report.fired == 0
    assert [d.payload.kind for d in await deliveries(bus)] == [DeliveryKind.JOBCARD]  # 07:00 card
    assert (await ticker.tick(at("2026-11-26T12:00Z"))).missed_deadline == 0


async def test_an_undeliverable_prompt_is_missed_with_the_bots_reason(
    ticker: Ticker, add_client: AddClient, bus: StreamBus, pool: asyncpg.Pool
) -> None:
    client = await add_client("UTC")
    await ticker.prepare(at("2026-11-26T07:00Z"))
    await ticker.tick(at("2026-11-26T07:30Z"))
    [prompt] = await deliveries(bus)
    outcome = DeliveryOutcome(
        idempotency_key=f"outcome:{prompt.payload.delivery_id}",
        payload=DeliveryOutcomePayload(
            delivery_id=prompt.payload.delivery_id,
            client_id=client,
            recipient_discord_id=prompt.payload.recipient_discord_id,
            kind=prompt.payload.kind,
            fire=prompt.payload.fire,
            status=DeliveryStatus.MISSED,
            attempts=1,
            error="403 Forbidden (50007): Cannot send messages to this user",
            at=at("2026-11-26T07:30:05Z"),
        ),
    )
    assert await ledger_handler(pool)([outcome]) == [None]

    report = await ticker.tick(at("2026-11-26T07:31Z"))
    assert report.reported_missed == 1
    [missed] = await events_of(bus, FireMissed)
    assert missed.payload.reason.startswith("undeliverable: 403 Forbidden (50007)")
    assert (await ticker.tick(at("2026-11-26T12:00Z"))).missed_deadline == 0


async def test_close_out_turns_the_days_pending_items_missed(
    ticker: Ticker, add_client: AddClient, bus: StreamBus
) -> None:
    client = await add_client("America/Sao_Paulo")  # UTC-03:00
    await ticker.prepare(at("2026-11-26T23:00Z"))
    await ticker.tick(at("2026-11-27T02:30Z"))  # 23:30 local on the 26th
    [closed] = await events_of(bus, JobCardClosedOut)
    assert (closed.payload.client_id, closed.payload.local_date) == (client, date(2026, 11, 26))
    assert [d.payload.kind for d in await deliveries(bus)] == [DeliveryKind.JOBCARD_CLOSEOUT]


# --- downtime: catch up within the grace window, else missed(scheduler_down) ---------------


async def test_after_downtime_recent_fires_catch_up_and_older_ones_are_missed(
    ticker: Ticker, add_client: AddClient, bus: StreamBus, pool: asyncpg.Pool
) -> None:
    await add_client("UTC")
    await ticker.prepare(at("2026-11-26T06:00Z"))

    # Down from 06:00 to 07:40: the 07:30 prompt is 10 minutes late (caught up), the
    # 07:00 card 40 minutes late (past the 15-minute grace: missed, reported).
    report = await ticker.tick(at("2026-11-26T07:40Z"))
    assert (report.fired, report.missed_scheduler_down) == (1, 1)
    assert [d.payload.kind for d in await deliveries(bus)] == [DeliveryKind.CHECKIN_PROMPT]
    [missed] = await events_of(bus, FireMissed)
    assert (missed.payload.trigger, missed.payload.reason) == ("morning_card", SCHEDULER_DOWN)


async def test_days_of_downtime_leave_one_missed_row_per_fire(
    ticker: Ticker, add_client: AddClient, pool: asyncpg.Pool
) -> None:
    await add_client("UTC")
    await ticker.prepare(at("2026-11-26T06:00Z"))
    report = await ticker.tick(at("2026-11-29T06:00Z"))  # three days later
    assert report.fired == 0
    assert report.missed_scheduler_down == 3 * 5  # five client triggers a day
    rows = await ledger(pool, "morning_card")
    assert [r["local_date"] for r in rows] == [date(2026, 11, d) for d in (26, 27, 28)]
    assert {r["reason"] for r in rows} == {SCHEDULER_DOWN}


# --- daylight saving through the tick --------------------------------------------------------


async def override(pool: asyncpg.Pool, client: uuid.UUID, trigger: str, **columns: object) -> None:
    engine = {"morning_card": "jobcard", "morning_prompt": "checkin"}.get(trigger, "meals")
    names = ", ".join(["client_id", "engine", "trigger", *columns])
    params = ", ".join(f"${i}" for i in range(1, 4 + len(columns)))
    await pool.execute(
        f"INSERT INTO schedule_overrides ({names}) VALUES ({params})",
        client, engine, trigger, *columns.values(),
    )  # fmt: skip


async def test_a_time_in_the_spring_gap_fires_at_the_next_valid_minute(
    ticker: Ticker, add_client: AddClient, bus: StreamBus, pool: asyncpg.Pool
) -> None:
    client = await add_client("America/New_York")
    await override(pool, client, "morning_card", local_time=time(2, 30))
    await ticker.prepare(at("2026-03-07T12:00Z"))
    assert (await ticker.tick(at("2026-03-08T06:59Z"))).fired == 0  # 01:59 EST
    assert (await ticker.tick(at("2026-03-08T07:00Z"))).fired == 1  # 03:00 EDT
    [row] = await ledger(pool, "morning_card")
    assert row["local_date"] == date(2026, 3, 8)


async def test_a_time_in_the_autumn_overlap_fires_once(
    ticker: Ticker, add_client: AddClient, pool: asyncpg.Pool
) -> None:
    client = await add_client("America/New_York")
    await override(pool, client, "morning_card", local_time=time(1, 30))
    await ticker.prepare(at("2026-10-31T12:00Z"))
    fired = 0
    for minute in range(4 * 60, 8 * 60, 10):  # 00:00-04:00 EDT/EST, every 10 minutes
        fired += (await ticker.tick(at(f"2026-11-01T{minute // 60:02d}:{minute % 60:02d}Z"))).fired
    assert fired == 1
    [row] = await ledger(pool, "morning_card")
    assert row["scheduled_for"] == at("2026-11-01T05:30Z")  # the first 01:30 (EDT)


# --- following changes, and schedules that cannot run ----------------------------------------


async def next_fire_at(pool: asyncpg.Pool, client: uuid.UUID, trigger: str) -> datetime | None:
    return await pool.fetchval(  # type: ignore[no-any-return]
        "SELECT fire_at FROM next_fires WHERE client_id = $1 AND trigger = $2", client, trigger
    )


async def test_a_client_who_moves_zone_gets_their_fires_recomputed(
    ticker: Ticker, add_client: AddClient, pool: asyncpg.Pool
) -> None:
    client = await add_client("UTC")
    await ticker.prepare(at("2026-11-26T06:00Z"))
    assert await next_fire_at(pool, client, "morning_card") == at("2026-11-26T07:00Z")

    await pool.execute("UPDATE clients SET time_zone = 'Asia/Tokyo' WHERE id = $1", client)
    report = await ticker.tick(at("2026-11-26T06:01Z"))
    assert report.rescheduled_clients == 1
    assert await next_fire_at(pool, client, "morning_card") == at("2026-11-26T22:00Z")


async def test_a_deleted_clients_fires_and_plan_go_with_them(
    ticker: Ticker, add_client: AddClient, pool: asyncpg.Pool
) -> None:
    gone, kept = await add_client("UTC"), await add_client("UTC")
    await ticker.prepare(at("2026-11-26T06:00Z"))
    await ticker.tick(at("2026-11-26T07:00Z"))

    await pool.execute("DELETE FROM clients WHERE id = $1", gone)

    left = await pool.fetch("SELECT DISTINCT client_id FROM trigger_fires")
    assert [row["client_id"] for row in left] == [kept]
    assert await pool.fetchval("SELECT count(*) FROM next_fires WHERE client_id = $1", gone) == 0


async def test_a_client_deleted_during_a_tick_leaves_no_fires_behind(
    ticker: Ticker, add_client: AddClient, pool: asyncpg.Pool
) -> None:
    # The ledger has no foreign key (migration 0004): the delete waits for the tick that
    # holds the client's due pairs, and then removes the fires that tick recorded.
    client = await add_client("UTC")
    await ticker.prepare(at("2026-11-26T06:00Z"))
    async with pool.acquire() as tick_conn, tick_conn.transaction():
        await tick_conn.execute(store.BATCH_SETTINGS)
        [due] = await tick_conn.fetch(store.SELECT_DUE, at("2026-11-26T07:00Z"), 10)
        deleting = asyncio.ensure_future(pool.execute("DELETE FROM clients WHERE id = $1", client))
        await asyncio.sleep(0.2)
        assert not deleting.done()  # waiting for the due pair the tick holds
        await tick_conn.execute(
            "INSERT INTO trigger_fires (engine, trigger, client_id, local_date, scheduled_for) "
            "VALUES ($1, $2, $3, $4, $5)",
            due["engine"], due["trigger"], client, due["local_date"], due["fire_at"],
        )  # fmt: skip
    await deleting
    assert await pool.fetchval("SELECT count(*) FROM trigger_fires") == 0


async def test_client_activity_is_not_a_schedule_change(
    ticker: Ticker, add_client: AddClient, pool: asyncpg.Pool
) -> None:
    client = await add_client("UTC")
    await ticker.prepare(at("2026-11-26T06:00Z"))
    await pool.execute(
        "UPDATE clients SET last_activity_at = now(), display_name = 'Ana' WHERE id = $1", client
    )
    assert (await ticker.tick(at("2026-11-26T06:01Z"))).rescheduled_clients == 0


async def test_overrides_move_or_switch_off_a_trigger(
    ticker: Ticker, add_client: AddClient, pool: asyncpg.Pool
) -> None:
    client = await add_client("UTC")
    await ticker.prepare(at("2026-11-26T06:00Z"))  # a Thursday
    await override(pool, client, "lunch_reminder", enabled=False)
    await override(pool, client, "morning_card", local_time=time(9, 15), weekdays=["mon"])
    await ticker.tick(at("2026-11-26T06:01Z"))
    assert await next_fire_at(pool, client, "lunch_reminder") is None
    assert await next_fire_at(pool, client, "morning_card") == at("2026-11-30T09:15Z")

    await pool.execute("DELETE FROM schedule_overrides WHERE client_id = $1", client)
    await ticker.tick(at("2026-11-26T06:02Z"))
    assert await next_fire_at(pool, client, "morning_card") == at("2026-11-26T07:00Z")
    assert await next_fire_at(pool, client, "lunch_reminder") == at("2026-11-26T12:30Z")


async def test_an_invalid_zone_is_skipped_and_flagged_not_a_crashed_tick(
    ticker: Ticker, add_client: AddClient, bus: StreamBus, pool: asyncpg.Pool
) -> None:
    broken = await add_client("Mars/Olympus_Mons")
    fine = await add_client("UTC")
    await ticker.prepare(at("2026-11-26T06:00Z"))
    report = await ticker.tick(at("2026-11-26T07:00Z"))
    assert report.fired == 1
    assert await next_fire_at(pool, broken, "morning_card") is None
    [flag] = await events_of(bus, FlagRaised)
    assert (flag.payload.client_id, flag.payload.code) == (broken, FlagCode.SCHEDULE_INVALID)
    assert "Mars/Olympus_Mons" in flag.payload.rationale
    assert [d.payload.client_id for d in await deliveries(bus)] == [fine]


async def test_a_client_whose_zone_breaks_later_is_unplanned_and_flagged(
    ticker: Ticker, add_client: AddClient, bus: StreamBus, pool: asyncpg.Pool
) -> None:
    client = await add_client("UTC")
    await ticker.prepare(at("2026-11-26T06:00Z"))
    await pool.execute("UPDATE clients SET time_zone = 'Nowhere/Land' WHERE id = $1", client)
    report = await ticker.tick(at("2026-11-26T06:01Z"))
    assert report.invalid_schedules == 1
    assert await pool.fetchval("SELECT count(*) FROM next_fires WHERE client_id = $1", client) == 0
    assert len(await events_of(bus, FlagRaised)) == 1


async def test_an_override_past_the_answer_deadline_is_flagged(
    ticker: Ticker, add_client: AddClient, bus: StreamBus, pool: asyncpg.Pool
) -> None:
    client = await add_client("UTC")
    await override(pool, client, "morning_prompt", local_time=time(13, 0))
    await ticker.prepare(at("2026-11-26T06:00Z"))
    [flag] = await events_of(bus, FlagRaised)
    assert "not before its 12:00 deadline" in flag.payload.rationale
    assert flag.payload.client_id == client


async def test_paused_clients_get_nothing_until_they_are_active_again(
    ticker: Ticker, add_client: AddClient, bus: StreamBus, pool: asyncpg.Pool
) -> None:
    client = await add_client("UTC")
    await ticker.prepare(at("2026-11-26T06:00Z"))
    await pool.execute("UPDATE clients SET status = 'paused' WHERE id = $1", client)
    await ticker.tick(at("2026-11-26T06:01Z"))
    assert (await ticker.tick(at("2026-11-26T07:00Z"))).fired == 0

    await pool.execute("UPDATE clients SET status = 'active' WHERE id = $1", client)
    await ticker.tick(at("2026-11-26T07:01Z"))
    # Nothing is back-filled for the pause: the next fire is the next one from now.
    assert await next_fire_at(pool, client, "morning_card") == at("2026-11-27T07:00Z")
    assert await next_fire_at(pool, client, "morning_prompt") == at("2026-11-26T07:30Z")
    assert await deliveries(bus) == []


# --- coach-level triggers -------------------------------------------------------------------


async def test_the_weekly_scan_fires_once_on_the_coachs_clock(
    ticker: Ticker, bus: StreamBus, coach: uuid.UUID
) -> None:
    await ticker.prepare(at("2026-11-29T12:00Z"))  # Sunday; London is on UTC in winter
    assert (await ticker.coach_tick(at("2026-11-29T17:59Z"))).coach_fires == 0
    assert (await ticker.coach_tick(at("2026-11-29T18:00Z"))).coach_fires == 1
    assert (await ticker.coach_tick(at("2026-11-29T18:01Z"))).coach_fires == 0
    [scan] = await read_stream(bus, "scans")
    assert isinstance(scan, ScanRequested)
    assert scan.payload.iso_week == "2026-W48"


async def test_a_weekly_scan_missed_by_downtime_is_recorded_not_sent(
    ticker: Ticker, bus: StreamBus, pool: asyncpg.Pool, coach: uuid.UUID
) -> None:
    await ticker.prepare(at("2026-11-29T12:00Z"))
    assert (await ticker.coach_tick(at("2026-11-29T20:00Z"))).coach_fires == 0
    row = await pool.fetchrow("SELECT status, reason FROM coach_fires")
    assert (row["status"], row["reason"]) == ("missed", SCHEDULER_DOWN)
    assert await read_stream(bus, "scans") == []


@pytest.mark.parametrize("zone_name", ["Pacific/Kiritimati", "Etc/GMT+12", "Asia/Kathmandu"])
async def test_far_and_fractional_zones_fire_on_their_own_local_date(
    ticker: Ticker, add_client: AddClient, pool: asyncpg.Pool, zone_name: str
) -> None:
    await add_client(zone_name)
    await ticker.prepare(at("2026-11-25T00:00Z"))
    for hour in range(0, 48):
        await ticker.tick(at(f"2026-11-{25 + hour // 24:02d}T{hour % 24:02d}:00Z"))
        await ticker.tick(at(f"2026-11-{25 + hour // 24:02d}T{hour % 24:02d}:15Z"))
        await ticker.tick(at(f"2026-11-{25 + hour // 24:02d}T{hour % 24:02d}:45Z"))
    rows = await ledger(pool, "morning_card")
    assert {r["status"] for r in rows} <= {"fired", "enqueued"}
    for row in rows:
        local = row["scheduled_for"].astimezone(ZoneInfo(zone_name))
        assert (local.date(), local.time()) == (row["local_date"], time(7, 0))
