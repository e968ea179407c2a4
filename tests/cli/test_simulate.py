"""``monstercoach simulate``: dry-run DMs in, client behaviour out, on real Redis and
PostgreSQL; the simulated clock and the ticks it drives."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import pytest
import redis.asyncio as aioredis

from monstercoach_cli.behaviour import Behaviour, ClientFacts
from monstercoach_cli.seed import (
    NOTES_RECON,
    PERSONAS,
    CoachRow,
    DemoData,
    Pattern,
    build_client,
    build_demo,
    wall,
    write_demo,
)
from monstercoach_cli.simulate import GROUP, SimClock, Simulator, TickDriver
from monstercoach_kit.bus import StreamBus
from monstercoach_schemas.domain import DeliveryKind, DeliveryStatus
from monstercoach_schemas.messages import (
    CheckinAnswered,
    DeliveryOutcome,
    DeliveryOutcomePayload,
    FireRef,
    JobCardIssued,
    JobCardIssuedItem,
    JobCardIssuedPayload,
    JobCardItemMarked,
    MealLogged,
    Message,
    parse_message,
)
from monstercoach_schemas.streams import Stream

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
START = datetime(2026, 11, 26, 9, 2, 37, tzinfo=UTC)
SEED = "test-seed"
PERSONA = {p.pattern: p for p in reversed(PERSONAS)}  # the first persona of each pattern
CONSISTENT, RECON, QUIET = (PERSONA[Pattern.CONSISTENT], PERSONA[Pattern.RECON],
                            PERSONA[Pattern.GONE_QUIET])  # fmt: skip


class FakeClock:
    """Simulated time that moves only when the test says so."""

    speed = 1.0

    def __init__(self, now: datetime):
        self.current = now

    def now(self) -> datetime:
        return self.current

    def real_seconds_until(self, at: datetime) -> float:
        return 0.0 if at <= self.current else 0.05

    def advance(self, by: timedelta) -> None:
        self.current += by


@dataclass
class Clients:
    ids: dict[str, uuid.UUID]
    zones: dict[str, ZoneInfo]


@pytest.fixture
async def clients(pool: asyncpg.Pool) -> Clients:
    """Three demo clients (consistent, recon, gone quiet) with their seeded history."""
    demo = build_demo(NOW)
    data = DemoData(coaches=demo.coaches)
    coach: CoachRow = demo.coaches[0]
    for persona in (CONSISTENT, RECON, QUIET):
        built = build_client(persona, coach, NOW)
        data.clients += built.clients
        data.weight_entries += built.weight_entries
    async with pool.acquire() as conn:
        await write_demo(conn, data)
    rows = {row.display_name: row for row in data.clients}
    return Clients(
        ids={p.key: rows[p.name].id for p in (CONSISTENT, RECON, QUIET)},
        zones={p.key: ZoneInfo(p.time_zone) for p in (CONSISTENT, RECON, QUIET)},
    )


@pytest.fixture
async def simulator(
    bus: StreamBus, pool: asyncpg.Pool, clients: Clients
) -> AsyncIterator[Simulator]:
    sim = Simulator(bus, pool, FakeClock(NOW), Behaviour(SEED))
    await sim.load_clients()
    await sim.open()
    try:
        yield sim
    finally:
        await sim.destroy_group()


def outcome(
    client_id: uuid.UUID,
    kind: DeliveryKind,
    fire: FireRef | None,
    status: DeliveryStatus = DeliveryStatus.DRY_RUN,
    delivery_id: uuid.UUID | None = None,
) -> DeliveryOutcome:
    delivery = delivery_id or uuid.uuid4()
    return DeliveryOutcome(
        idempotency_key=f"delivery.outcome:{delivery}",
        payload=DeliveryOutcomePayload(
            delivery_id=delivery,
            client_id=client_id,
            recipient_discord_id="123456789012345678",
            kind=kind,
            fire=fire,
            status=status,
            attempts=0,
            rendered_text="Morning! Time to check in.\n[📝 Check in]",
            at=NOW,
        ),
    )


def card(client_id: uuid.UUID, day: date, labels: list[str]) -> JobCardIssued:
    items = [JobCardIssuedItem(id=uuid.uuid4(), position=n, label=label)
             for n, label in enumerate(labels)]  # fmt: skip
    return JobCardIssued(
        idempotency_key=f"card:{client_id}:{day}",
        payload=JobCardIssuedPayload(
            card_id=uuid.uuid4(), client_id=client_id, local_date=day, items=items, issued_at=NOW
        ),
    )


async def deliver(sim: Simulator, *messages: Any) -> None:
    """Put messages on ``events`` and let the simulator read and plan them."""
    await sim.bus.publish_many(list(messages))
    read: list[Message] = []
    for _ in range(20):
        read += await sim.read(50)
        if len(read) >= len(messages):
            break
    assert len(read) == len(messages)
    for message in read:
        await sim.handle(message)


async def published(sim: Simulator, after: timedelta = timedelta(days=1)) -> list[Message]:
    """Let ``after`` of simulated time pass; what the clients did, from the stream."""
    assert isinstance(sim.clock, FakeClock)
    sim.clock.advance(after)
    await sim.publish_due()
    entries: Any = await sim.bus.redis.xrange(sim.bus.key(Stream.EVENTS))
    messages = [parse_message(fields[b"data"]) for _, fields in entries]
    return [m for m in messages if m.idempotency_key.startswith("sim:")]


def answer_days(persona_key: str, client_id: uuid.UUID, zone: ZoneInfo) -> list[date]:
    """Days (from NOW's) this persona answers the check-in under SEED."""
    behaviour = Behaviour(SEED)
    facts = ClientFacts(client_id, "x y", str(zone), "active", "fat_loss", 2000, 150, 8000, 2500,
                        ("mon",))  # fmt: skip
    days = [NOW.date() + timedelta(days=n) for n in range(30)]
    return [d for d in days if behaviour.checkin(facts, d, wall(d, zone, 450))[0]]


def prompt_fire(day: date) -> FireRef:
    return FireRef(engine="checkin", trigger="morning_prompt", local_date=day)


def card_fire(day: date) -> FireRef:
    return FireRef(engine="jobcard", trigger="morning_card", local_date=day)


class TestCheckins:
    async def test_a_prompt_is_answered_for_that_client_and_local_date(
        self, simulator: Simulator, clients: Clients
    ) -> None:
        client_id, zone = clients.ids[CONSISTENT.key], clients.zones[CONSISTENT.key]
        day = answer_days(CONSISTENT.key, client_id, zone)[0]
        assert isinstance(simulator.clock, FakeClock)
        simulator.clock.current = wall(day, zone, 7 * 60 + 30)
        received = simulator.clock.now()
        await deliver(simulator, outcome(client_id, DeliveryKind.CHECKIN_PROMPT, prompt_fire(day)))
        answers = [m for m in await published(simulator) if isinstance(m, CheckinAnswered)]
        assert len(answers) == 1
        answer = answers[0].payload
        assert answer.client_id == client_id
        assert answer.local_date == day
        assert answer.answered_at > received
        assert answer.energy is not None
        assert 1 <= answer.energy <= 10
        assert answers[0].idempotency_key == f"sim:checkin.answered:{client_id}:{day}"

    async def test_most_answer_and_the_quiet_one_never_does(
        self, simulator: Simulator, clients: Clients
    ) -> None:
        days = [NOW.date() + timedelta(days=n) for n in range(14)]
        for key in (CONSISTENT.key, QUIET.key):
            await deliver(
                simulator,
                *(outcome(clients.ids[key], DeliveryKind.CHECKIN_PROMPT, prompt_fire(d))
                  for d in days),
            )  # fmt: skip
        answers = [m for m in await published(simulator, timedelta(days=3))
                   if isinstance(m, CheckinAnswered)]  # fmt: skip
        by_client = {cid: [a for a in answers if a.payload.client_id == cid]
                     for cid in clients.ids.values()}  # fmt: skip
        assert len(by_client[clients.ids[CONSISTENT.key]]) >= 11
        assert by_client[clients.ids[QUIET.key]] == []

    async def test_nobody_answers_twice_for_the_same_fire(
        self, simulator: Simulator, clients: Clients, bus: StreamBus, pool: asyncpg.Pool
    ) -> None:
        client_id, zone = clients.ids[CONSISTENT.key], clients.zones[CONSISTENT.key]
        day = answer_days(CONSISTENT.key, client_id, zone)[0]
        delivery = outcome(client_id, DeliveryKind.CHECKIN_PROMPT, prompt_fire(day))
        # The stream delivers at least once: the same outcome twice.
        await deliver(simulator, delivery, delivery)
        first = [m for m in await published(simulator) if isinstance(m, CheckinAnswered)]
        assert len(first) == 1
        # A restarted simulator (nothing in memory) answers again with the same key, so
        # the api applies it once.
        restarted = Simulator(bus, pool, FakeClock(NOW), Behaviour(SEED), group="simulator-2")
        await restarted.load_clients()
        again = await restarted.handle(delivery)
        assert [
            a.message.idempotency_key for a in again if isinstance(a.message, CheckinAnswered)
        ] == [first[0].idempotency_key]

    async def test_real_sends_and_missed_sends_are_left_to_real_clients(
        self, simulator: Simulator, clients: Clients
    ) -> None:
        client_id = clients.ids[CONSISTENT.key]
        fire = prompt_fire(NOW.date())
        await deliver(
            simulator,
            outcome(client_id, DeliveryKind.CHECKIN_PROMPT, fire, DeliveryStatus.SENT),
            outcome(client_id, DeliveryKind.CHECKIN_PROMPT, fire, DeliveryStatus.MISSED),
        )
        assert await published(simulator) == []


class TestJobCards:
    LABELS = ["Hit 140 g protein", "9,000 steps", "Drink 2.5 L water", "Training session",
              "Log every meal"]  # fmt: skip

    @pytest.mark.parametrize("card_first", [True, False])
    async def test_items_are_marked_with_the_cards_own_ids(
        self, simulator: Simulator, clients: Clients, card_first: bool
    ) -> None:
        client_id = clients.ids[CONSISTENT.key]
        cards = [card(client_id, NOW.date() + timedelta(days=n), self.LABELS) for n in range(5)]
        dms = [
            outcome(client_id, DeliveryKind.JOBCARD, card_fire(c.payload.local_date)) for c in cards
        ]
        await deliver(simulator, *((cards + dms) if card_first else (dms + cards)))
        marks = [m for m in await published(simulator, timedelta(days=6))
                 if isinstance(m, JobCardItemMarked)]  # fmt: skip
        assert len(marks) >= 12  # a consistent client ticks most of 25 items
        items = {c.payload.card_id: {i.id for i in c.payload.items} for c in cards}
        for mark in marks:
            assert mark.payload.client_id == client_id
            assert mark.payload.item_id in items[mark.payload.card_id]
            assert mark.payload.status.value in ("done", "skipped")
        keys = [m.idempotency_key for m in marks]
        assert len(keys) == len(set(keys))

    async def test_a_card_never_delivered_is_not_answered(
        self, simulator: Simulator, clients: Clients
    ) -> None:
        await deliver(simulator, card(clients.ids[CONSISTENT.key], NOW.date(), self.LABELS))
        assert await published(simulator) == []


class TestRecon:
    async def test_the_persona_that_lies_says_it_hit_its_macros_while_logging_otherwise(
        self, simulator: Simulator, clients: Clients
    ) -> None:
        days = [NOW.date() + timedelta(days=n) for n in range(10)]
        messages: list[Any] = []
        for key in (RECON.key, CONSISTENT.key):
            for day in days:
                messages.append(
                    outcome(clients.ids[key], DeliveryKind.CHECKIN_PROMPT, prompt_fire(day))
                )
                for trigger in ("lunch_reminder", "dinner_reminder"):
                    fire = FireRef(engine="meals", trigger=trigger, local_date=day)
                    messages.append(outcome(clients.ids[key], DeliveryKind.MEAL_REMINDER, fire))
        await deliver(simulator, *messages)
        done = await published(simulator, timedelta(days=12))

        def notes(key: str) -> list[str]:
            return [m.payload.notes for m in done if isinstance(m, CheckinAnswered)
                    and m.payload.client_id == clients.ids[key]]  # fmt: skip

        def kcal_per_day(key: str) -> float:
            meals = [m for m in done if isinstance(m, MealLogged)
                     and m.payload.client_id == clients.ids[key]]  # fmt: skip
            return sum(m.payload.kcal or 0 for m in meals) / len(days)

        assert sum(note in NOTES_RECON for note in notes(RECON.key)) >= 3
        assert not any(note in NOTES_RECON for note in notes(CONSISTENT.key))
        # ...while the meals they log are far from the target they claim to hit.
        assert kcal_per_day(RECON.key) > 1.2 * RECON.kcal
        assert kcal_per_day(CONSISTENT.key) < 1.15 * CONSISTENT.kcal


class TestGroup:
    async def test_the_group_is_destroyed_on_exit(
        self, bus: StreamBus, pool: asyncpg.Pool, clients: Clients
    ) -> None:
        sim = Simulator(bus, pool, FakeClock(NOW), Behaviour(SEED))
        stop = asyncio.Event()
        running = asyncio.create_task(sim.run(stop))
        key = bus.key(Stream.EVENTS)
        for _ in range(200):
            if GROUP in await group_names(bus.redis, key):
                break
            await asyncio.sleep(0.01)
        assert GROUP in await group_names(bus.redis, key)
        stop.set()
        await asyncio.wait_for(running, timeout=5)
        assert GROUP not in await group_names(bus.redis, key)

    async def test_a_stale_group_from_a_killed_simulator_is_replaced(
        self, bus: StreamBus, pool: asyncpg.Pool
    ) -> None:
        key = bus.key(Stream.EVENTS)
        await bus.redis.xadd(key, {"type": "x", "data": "{}"})
        await bus.redis.xgroup_create(key, GROUP, id="0")
        await bus.redis.xreadgroup(GROUP, "dead", {key: ">"})  # read, never acknowledged
        sim = Simulator(bus, pool, FakeClock(NOW), Behaviour(SEED))
        await sim.open()
        info = {g["name"].decode(): g for g in await bus.redis.xinfo_groups(key)}
        # The dead reader and its unacknowledged entry no longer hold trimming back.
        assert info[GROUP]["pending"] == 0
        assert info[GROUP]["consumers"] == 0
        await sim.destroy_group()


async def group_names(redis: aioredis.Redis, key: str) -> set[str]:
    try:
        return {g["name"].decode() for g in await redis.xinfo_groups(key)}
    except aioredis.ResponseError:
        return set()


# --- the simulated clock and the ticks it drives ---------------------------------------


class FakeMonotonic:
    def __init__(self) -> None:
        self.value = 1000.0

    def __call__(self) -> float:
        return self.value


class TestSimClock:
    def test_runs_speed_times_real_time_up_to_its_limit(self) -> None:
        real = FakeMonotonic()
        clock = SimClock(NOW, 60, monotonic=real)
        clock.hold_at(NOW + timedelta(minutes=5))
        real.value += 2  # two real seconds = two simulated minutes
        assert clock.now() == NOW + timedelta(minutes=2)
        real.value += 10  # would be minute 12: held at the next tick
        assert clock.now() == NOW + timedelta(minutes=5)
        assert clock.real_seconds_until(NOW + timedelta(minutes=6)) == float("inf")

    def test_a_slow_tick_slows_the_clock_instead_of_skipping_ahead(self) -> None:
        real = FakeMonotonic()
        clock = SimClock(NOW, 60, monotonic=real)
        clock.hold_at(NOW + timedelta(minutes=5))
        real.value += 30  # the tick at minute 5 took long
        clock.hold_at(NOW + timedelta(minutes=10))
        assert clock.now() == NOW + timedelta(minutes=5)  # carries on from the tick
        real.value += 1
        assert clock.now() == NOW + timedelta(minutes=6)


class TestTickDriver:
    async def test_ticks_every_step_in_order_and_the_clock_waits_for_them(self) -> None:
        clock = SimClock(START, 36_000)  # ten simulated hours per real second
        ticks: list[datetime] = []
        seen_ahead: list[timedelta] = []

        async def run_tick(at: datetime) -> bool:
            seen_ahead.append(clock.now() - at)
            ticks.append(at)
            await asyncio.sleep(0.01)
            return True

        stop = asyncio.Event()
        driver = TickDriver(clock, run_tick, timedelta(minutes=5))
        task = asyncio.create_task(driver.run(stop))
        await asyncio.sleep(0.5)
        stop.set()
        await asyncio.wait_for(task, timeout=2)
        assert len(ticks) >= 5
        # The first tick at the start (catch-up), then on every 5-minute boundary.
        assert ticks[0] == START
        assert ticks[1] == datetime(2026, 11, 26, 9, 5, tzinfo=UTC)
        assert all(b - a == timedelta(minutes=5) for a, b in itertools.pairwise(ticks[1:]))
        # While a tick runs, simulated time stands at it: no fire can fall behind.
        assert all(ahead == timedelta(0) for ahead in seen_ahead)
