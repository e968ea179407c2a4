"""A simulated coaching day: a roster seeded with COPY, the scheduler's ticks, the answers.

The clock is the scheduler's own :class:`Ticker`, run in the test process at chosen
instants of a day in the (near) future: the same code ``monstercoach tick --at`` runs,
without paying an interpreter start per tick (the ops CLI takes ~4 s to start on the CI
machine). Tests that are *about* the scheduler process run ``monstercoach tick --at`` as
a real process instead.

After each tick the clients "answer" what reached them, as the bot's gateway would
report it: check-ins, meals, workouts, DMs and job-card taps, published to ``events``.
Everything published is kept in :class:`Published`, so the end state can be compared
with it.
"""

from __future__ import annotations

import itertools
import zlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID, uuid4, uuid5

import asyncpg

from monstercoach_kit.bus import StreamBus
from monstercoach_scheduler.engines.base import FIRE_NAMESPACE
from monstercoach_scheduler.settings import SchedulerSettings
from monstercoach_scheduler.tick import Ticker
from monstercoach_schemas.domain import DeliveryKind, JobCardItemStatus
from monstercoach_schemas.lst.plan import Override, client_triggers, next_client_fire
from monstercoach_schemas.messages import (
    CheckinAnswered,
    CheckinAnsweredPayload,
    DeliveryRequested,
    DeliveryRequestedPayload,
    DmReceived,
    DmReceivedPayload,
    Envelope,
    JobCardItemMarked,
    JobCardItemMarkedPayload,
    MealLogged,
    MealLoggedPayload,
    WorkoutLogged,
    WorkoutLoggedPayload,
)

COACH_DISCORD_ID = "100000000000000042"
COACH_ZONE = "Europe/London"
ZONES = (
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "Asia/Tokyo",
    "Asia/Kolkata",
    "Australia/Sydney",
)
"""Spread over the globe, so a UTC day's fires are spread over the whole day."""


@dataclass(frozen=True)
class Client:
    id: UUID
    discord_user_id: str
    time_zone: str
    n: int

    @property
    def hash(self) -> int:
        """A stable per-client number that decides how this client behaves."""
        return zlib.crc32(self.id.bytes)


@dataclass(frozen=True)
class FireKey:
    engine: str
    trigger: str
    client_id: UUID
    local_date: date

    def uuid(self, what: str) -> UUID:
        """The id the fire derives for ``what`` (the scheduler's engines do the same)."""
        root = f"{self.engine}:{self.trigger}:{self.client_id}:{self.local_date.isoformat()}"
        return uuid5(FIRE_NAMESPACE, f"{root}:{what}")

    @property
    def delivery_id(self) -> UUID:
        return self.uuid("delivery")


def future_day(days_ahead: int = 7, weekday: int = 1) -> datetime:
    """Midnight UTC of the first ``weekday`` (0 = Monday) at least ``days_ahead`` from now.

    In the future so that no delivery's ``not_after`` (the bot reads the real clock) has
    passed; a Tuesday so that no coach-level trigger (Sunday's scan) falls in the day.
    """
    day = datetime.now(UTC).date() + timedelta(days=days_ahead)
    day += timedelta(days=(weekday - day.weekday()) % 7)
    return datetime.combine(day, time(), tzinfo=UTC)


async def seed_clients(
    pool: asyncpg.Pool, count: int, zones: Sequence[str] = ZONES, first: int = 0
) -> list[Client]:
    """A coach and ``count`` active clients, written with one ``COPY``.

    ``schedule_changed_at`` is set well in the past: these clients did not just change,
    so a scheduler started later plans them from its own clock only if they have no plan.
    """
    coach_id = await pool.fetchval(
        """
        INSERT INTO coaches (id, discord_user_id, display_name, time_zone)
        VALUES ($1, $2, 'Coach Fault', $3)
        ON CONFLICT (discord_user_id) DO UPDATE SET display_name = EXCLUDED.display_name
        RETURNING id
        """,
        uuid4(),
        COACH_DISCORD_ID,
        COACH_ZONE,
    )
    long_ago = datetime.now(UTC) - timedelta(days=30)
    clients = [
        Client(uuid4(), str(300_000_000_000_000_000 + n), zones[n % len(zones)], n)
        for n in range(first, first + count)
    ]
    async with pool.acquire() as conn:
        await conn.copy_records_to_table(
            "clients",
            columns=[
                "id", "coach_id", "discord_user_id", "display_name", "time_zone", "status",
                "created_at", "schedule_changed_at",
            ],
            records=[
                (c.id, coach_id, c.discord_user_id, f"Client {c.n:05d}", c.time_zone, "active",
                 long_ago, long_ago)
                for c in clients
            ],
        )  # fmt: skip
    return clients


Overrides = dict[tuple[UUID, str, str], Override]


def expected_fires(
    clients: Iterable[Client], after: datetime, until: datetime, overrides: Overrides | None = None
) -> set[FireKey]:
    """Every client-level fire the LST owes in ``(after, until]``, from the shared LST."""
    fires = set()
    overrides = overrides or {}
    for client in clients:
        for trigger in client_triggers():
            override = overrides.get((client.id, trigger.engine, trigger.trigger))
            at = after
            while (fire := next_client_fire(trigger, client.time_zone, override, at)) is not None:
                if fire.at > until:
                    break
                fires.add(FireKey(trigger.engine, trigger.trigger, client.id, fire.local_date))
                at = fire.at
    return fires


@dataclass
class Published:
    """Every client event and ad-hoc delivery the test published, by what records it."""

    checkins: list[CheckinAnswered] = field(default_factory=list)
    meals: list[MealLogged] = field(default_factory=list)
    workouts: list[WorkoutLogged] = field(default_factory=list)
    dms: list[DmReceived] = field(default_factory=list)
    marks: list[JobCardItemMarked] = field(default_factory=list)
    deliveries: list[DeliveryRequested] = field(default_factory=list)

    def add(self, messages: Iterable[Envelope[Any]]) -> None:
        lists: dict[type, list[Any]] = {
            CheckinAnswered: self.checkins,
            MealLogged: self.meals,
            WorkoutLogged: self.workouts,
            DmReceived: self.dms,
            JobCardItemMarked: self.marks,
            DeliveryRequested: self.deliveries,
        }
        for message in messages:
            lists[type(message)].append(message)

    @property
    def events(self) -> int:
        return (
            len(self.checkins)
            + len(self.meals)
            + len(self.workouts)
            + len(self.dms)
            + len(self.marks)
        )


_dm_ids = itertools.count(500_000_000_000_000_000)


def answers(client: Client, fire: FireKey, scheduled_for: datetime) -> list[Envelope[Any]]:
    """What this client does after ``fire`` reached them (most answer, some never do)."""
    h = client.hash
    key = f"{fire.engine}:{fire.trigger}:{client.id}:{fire.local_date}"
    later = scheduled_for + timedelta(minutes=10 + h % 50)
    out: list[Envelope[Any]] = []
    if (fire.engine, fire.trigger) == ("checkin", "morning_prompt") and h % 10 < 7:
        out.append(
            CheckinAnswered(
                idempotency_key=f"{key}:answer",
                payload=CheckinAnsweredPayload(
                    client_id=client.id,
                    local_date=fire.local_date,
                    weight_kg=60 + h % 40 + 0.5,
                    sleep_hours=6 + h % 3,
                    energy=1 + h % 10,
                    notes=f"slept ok, day {fire.local_date}",
                    answered_at=later,
                ),
            )
        )
    elif fire.engine == "meals" and h % 2 == 0:
        out.append(
            MealLogged(
                idempotency_key=f"{key}:meal",
                payload=MealLoggedPayload(
                    client_id=client.id,
                    description=f"{fire.trigger.split('_')[0]}: chicken, rice, greens",
                    kcal=500 + h % 400,
                    protein_g=30 + h % 30,
                    logged_at=later,
                ),
            )
        )
    elif (fire.engine, fire.trigger) == ("jobcard", "morning_card") and h % 3 != 0:
        card_id = fire.uuid("card")
        for position, status in ((0, JobCardItemStatus.DONE), (1, JobCardItemStatus.SKIPPED)):
            out.append(
                JobCardItemMarked(
                    idempotency_key=f"{key}:item:{position}:{status.value}",
                    payload=JobCardItemMarkedPayload(
                        client_id=client.id,
                        card_id=card_id,
                        item_id=fire.uuid(f"item:{position}"),
                        status=status,
                        marked_at=later + timedelta(hours=position),
                    ),
                )
            )
    elif (fire.engine, fire.trigger) == ("jobcard", "close_out"):
        if h % 4 == 0:
            out.append(
                WorkoutLogged(
                    idempotency_key=f"{key}:workout",
                    payload=WorkoutLoggedPayload(
                        client_id=client.id,
                        description="evening run",
                        duration_min=20 + h % 40,
                        logged_at=scheduled_for - timedelta(hours=2),
                    ),
                )
            )
        if h % 5 == 0:
            out.append(
                DmReceived(
                    idempotency_key=f"{key}:dm",
                    payload=DmReceivedPayload(
                        client_id=client.id,
                        discord_message_id=str(next(_dm_ids)),
                        text="Long day, but I did it. See you tomorrow!",
                        received_at=later,
                    ),
                )
            )
    return out


class Day:
    """One simulated day for a roster: ticks of the scheduler's own code, then answers."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        bus: StreamBus,
        clients: Sequence[Client],
        start: datetime,
        *,
        grace_minutes: int = 6 * 60,
        batch_size: int = 500,
    ):
        self.pool = pool
        self.bus = bus
        self.clients = {c.id: c for c in clients}
        self.start = start
        self.last_tick = start
        self.settings = SchedulerSettings(
            _env_file=None,
            grace_minutes=grace_minutes,
            batch_size=batch_size,
            resync_lag_seconds=0,
            coach_time_zone=COACH_ZONE,
        )
        self.published = Published()
        self.overrides: Overrides = {}
        self.taps: list[JobCardItemMarked] = []
        """Job-card taps waiting for the api to have their card (see :meth:`answer`)."""

    async def move(self, client: Client, engine: str, trigger: str, local_time: time) -> None:
        """A coach's schedule override: this client's ``trigger`` at another local time."""
        await self.pool.execute(
            "INSERT INTO schedule_overrides (client_id, engine, trigger, enabled, local_time) "
            "VALUES ($1, $2, $3, true, $4)",
            client.id,
            engine,
            trigger,
            local_time,
        )
        self.overrides[(client.id, engine, trigger)] = Override(True, local_time, None)

    def ticker(self, bus: StreamBus | None = None) -> Ticker:
        return Ticker(self.pool, bus or self.bus, self.settings, COACH_ZONE)

    async def prepare(self) -> None:
        """Plan every client's next fires from the start of the day."""
        await self.ticker().prepare(self.start)

    async def tick(self, at: datetime, *, answer: bool = True) -> None:
        """One tick as of ``at``; then the clients answer what it fired."""
        await self.ticker().tick(at)
        self.last_tick = max(self.last_tick, at)
        if answer:
            await self.answer(at)
        await self.tap_cards()

    async def answer(self, fired_at: datetime) -> None:
        rows = await self.pool.fetch(
            """
            SELECT engine, trigger, client_id, local_date, scheduled_for FROM trigger_fires
             WHERE fired_at = $1 AND status IN ('fired', 'enqueued')
            """,
            fired_at,
        )
        messages: list[Envelope[Any]] = []
        for row in rows:
            fire = FireKey(row["engine"], row["trigger"], row["client_id"], row["local_date"])
            messages += answers(self.clients[fire.client_id], fire, row["scheduled_for"])
        # A tap comes hours after its card in a real day, but milliseconds after it in
        # this compressed one; it waits until the api has the card. (A tap that does
        # overtake its card is its own test: test_ordering.)
        self.taps += [m for m in messages if isinstance(m, JobCardItemMarked)]
        await self.publish([m for m in messages if not isinstance(m, JobCardItemMarked)])

    async def tap_cards(self) -> None:
        """Publish the taps whose card the api has recorded."""
        if not self.taps:
            return
        recorded = {
            row["id"]
            for row in await self.pool.fetch(
                "SELECT id FROM job_cards WHERE id = ANY($1::uuid[])",
                list({tap.payload.card_id for tap in self.taps}),
            )
        }
        ready = [tap for tap in self.taps if tap.payload.card_id in recorded]
        self.taps = [tap for tap in self.taps if tap.payload.card_id not in recorded]
        await self.publish(ready)

    async def publish(self, messages: Sequence[Envelope[Any]]) -> None:
        await self.bus.publish_many(messages)
        self.published.add(messages)

    def ticks(self, hours: float = 24, every: float = 3) -> list[datetime]:
        """Tick instants covering ``hours`` from the start, ``every`` hours apart."""
        steps = int(hours / every)
        return [self.start + timedelta(hours=every * (i + 1)) for i in range(steps)]

    def expected(self) -> set[FireKey]:
        return expected_fires(self.clients.values(), self.start, self.last_tick, self.overrides)


def nudges(
    clients: Sequence[Client], text: str = "Quick nudge from your coach 💪"
) -> list[DeliveryRequested]:
    """Ad-hoc deliveries (a coach's nudge), outside the scheduler: no fire, no deadline."""
    return [
        DeliveryRequested(
            idempotency_key=f"nudge:{delivery_id}",
            payload=DeliveryRequestedPayload(
                delivery_id=delivery_id,
                client_id=client.id,
                recipient_discord_id=client.discord_user_id,
                kind=DeliveryKind.NUDGE,
                text=text,
            ),
        )
        for client in clients
        for delivery_id in [uuid4()]
    ]


def by_client(fires: Iterable[FireKey]) -> dict[UUID, list[FireKey]]:
    grouped: dict[UUID, list[FireKey]] = defaultdict(list)
    for fire in fires:
        grouped[fire.client_id].append(fire)
    return grouped
