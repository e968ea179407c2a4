"""``monstercoach simulate``: clients who answer, in dry-run, like real clients would.

In dry-run the bot sends nothing; it records each would-be DM as a ``delivery.outcome``
with status ``dry_run``. The simulator reads the ``events`` stream through its own
consumer group (``simulator``) and, for each such DM to a client, plans what that client
does (:mod:`.behaviour`) and publishes it when its time comes, exactly the messages the
bot would publish for the client's clicks and modals: ``checkin.answered``,
``jobcard.item_marked`` (with the item ids of the ``jobcard.issued`` card),
``meal.logged``, ``workout.logged`` and now and then ``dm.received``. The api records
them, the scheduler closes its fires with them, the flag worker judges them, Battle
Station shows them. Most clients answer, some late, some never, one says "hit my
macros" while logging far more; nobody answers one fire twice (idempotency keys come
from the fire, see :mod:`.behaviour`).

Time. At ``--speed 1`` (the default) everything is real time: the scheduler fires on
its own clock and clients answer minutes later. ``--speed N`` runs a simulated clock N
times faster and, since the scheduler's clock is the wall clock, drives the scheduler
itself: every ``--tick-minutes`` of simulated time it runs ``monstercoach tick --at
<simulated time>`` (the scheduler's own one-tick command, as a subprocess: this package
never imports a service). The simulated clock never runs past a tick that has not
finished, so no fire is skipped or turns late; when ticks are slower than N allows, the
clock slows down instead. The schedule and the answers then run ahead of real time,
which suits a throwaway demo database: the real scheduler fires nothing until the wall
clock catches up, and Battle Station's "today" stays the wall clock's. A restart
continues from the furthest tick on record.

The group is destroyed on exit (and a stale one on start), so a stopped simulator never
holds back the stream's trimming (:meth:`monstercoach_kit.bus.StreamBus.trim_safely`).
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import shutil
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Protocol
from uuid import UUID

import asyncpg
import redis.asyncio as aioredis
import typer
from pydantic import ValidationError

from monstercoach_kit.bus import StreamBus
from monstercoach_kit.db import create_pool
from monstercoach_kit.log import configure_logging, get_logger
from monstercoach_kit.runner import serve
from monstercoach_kit.settings import KitSettings
from monstercoach_schemas.domain import DeliveryKind, DeliveryStatus
from monstercoach_schemas.messages import (
    DeliveryOutcome,
    JobCardIssued,
    JobCardIssuedPayload,
    Message,
    parse_message,
)
from monstercoach_schemas.streams import Stream

from .behaviour import DEFAULT_SEED, Action, Behaviour, ClientFacts

log = get_logger("monstercoach.simulate")

GROUP = "simulator"
CONSUMER = "simulator-1"
LOOKBACK = timedelta(minutes=10)
"""On start, DMs recorded this long ago (real time) are still answered."""
TICK_TIMEOUT_SECONDS = 120.0
RELOAD_CLIENTS_AFTER = timedelta(seconds=1)
"""An unknown client means one onboarded since the last read: read again, at most this often."""
FORGET_AFTER_DAYS = 3

SELECT_CLIENTS = """
SELECT c.id, c.display_name, c.time_zone, c.status, c.goal, c.target_kcal,
       c.target_protein_g, c.target_steps, c.target_water_ml, c.training_days,
       w.weight_kg, w.local_date AS weight_date
FROM clients c
LEFT JOIN LATERAL (
    SELECT weight_kg, local_date FROM weight_entries e
    WHERE e.client_id = c.id ORDER BY e.local_date DESC, e.measured_at DESC LIMIT 1
) w ON true
"""

DM_NAMES = {
    DeliveryKind.CHECKIN_PROMPT: "check-in prompt",
    DeliveryKind.JOBCARD: "job card",
    DeliveryKind.MEAL_REMINDER: "meal reminder",
    DeliveryKind.NUDGE: "coach's message",
}

SELECT_FURTHEST_TICK = "SELECT max(fired_at) FROM trigger_fires"


# --- clocks --------------------------------------------------------------------------


class Clock(Protocol):
    speed: float

    def now(self) -> datetime: ...

    def real_seconds_until(self, at: datetime) -> float:
        """Real seconds until simulated ``at`` (``inf`` while the clock waits on a tick)."""
        ...


class RealClock:
    speed = 1.0

    def now(self) -> datetime:
        return datetime.now(UTC)

    def real_seconds_until(self, at: datetime) -> float:
        return (at - self.now()).total_seconds()


class SimClock:
    """Simulated time: ``speed`` times real time, never past ``limit`` (the next tick).

    Held at the limit, it stands still; when the limit moves on it starts again from
    there, so a slow tick slows the simulation down instead of making it skip ahead.
    """

    def __init__(
        self,
        start: datetime,
        speed: float,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self.speed = speed
        self._monotonic = monotonic
        self._base_sim = start
        self._base_real = monotonic()
        self.limit = start

    def _free(self) -> datetime:
        elapsed = self._monotonic() - self._base_real
        return self._base_sim + timedelta(seconds=elapsed * self.speed)

    def now(self) -> datetime:
        return min(self._free(), self.limit)

    def hold_at(self, limit: datetime) -> None:
        """Let the clock run up to ``limit`` (and no further)."""
        if self._free() >= self.limit:
            # It stood at the old limit: restart from there, not from where it would be.
            self._base_sim, self._base_real = self.limit, self._monotonic()
        self.limit = limit

    def real_seconds_until(self, at: datetime) -> float:
        if at > self.limit:
            return float("inf")
        return max((at - self.now()).total_seconds(), 0.0) / self.speed


TickRunner = Callable[[datetime], Awaitable[bool]]


async def run_tick_command(at: datetime) -> bool:
    """``monstercoach tick --at <at>``: the scheduler's own one-tick command."""
    beside = Path(sys.executable).parent / "monstercoach"
    command = str(beside) if beside.exists() else shutil.which("monstercoach") or "monstercoach"
    process = await asyncio.create_subprocess_exec(
        command,
        "tick",
        "--at",
        at.isoformat(),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        output, _ = await asyncio.wait_for(process.communicate(), timeout=TICK_TIMEOUT_SECONDS)
    except TimeoutError:
        process.kill()
        await process.wait()
        log.warning("tick timed out", status="error", at=at.isoformat())
        return False
    except asyncio.CancelledError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        raise
    if process.returncode is not None and process.returncode < 0:
        return False  # stopped by a signal: we are shutting down, nothing to report
    if process.returncode != 0:
        tail = output.decode(errors="replace").strip().splitlines()[-5:]
        log.warning("tick failed", status="error", at=at.isoformat(), output=" | ".join(tail))
        return False
    return True


@dataclass
class TickDriver:
    """Runs the scheduler's tick at every ``step`` of simulated time, in order."""

    clock: SimClock
    run_tick: TickRunner
    step: timedelta
    ticks: int = 0
    failures: int = 0
    _started: float = field(default_factory=time.monotonic)

    async def run(self, stop: asyncio.Event) -> None:
        at = self.clock.now()
        hour = at.replace(minute=0, second=0, microsecond=0)
        while not stop.is_set():
            self.clock.hold_at(at)
            wait = self.clock.real_seconds_until(at)
            if wait > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=wait)
                continue  # re-check: stopped, or the clock reached ``at``
            if await self.run_tick(at):
                self.ticks += 1
            else:
                self.failures += 1
            if at >= hour + timedelta(hours=1) or self.ticks == 1:
                hour = at.replace(minute=0, second=0, microsecond=0)
                elapsed = time.monotonic() - self._started
                log.info(
                    "simulated clock",
                    status="ticked",
                    at=at.isoformat(timespec="minutes"),
                    ticks=self.ticks,
                    real_minutes=round(elapsed / 60, 1),
                )
            # On the step's boundaries after the first (catch-up) tick: triggers sit on
            # whole quarter hours, so a 5-minute step ticks exactly when they fall due.
            at = align(at, self.step) + self.step


def align(at: datetime, step: timedelta) -> datetime:
    """``at`` rounded down to a multiple of ``step`` since midnight UTC."""
    midnight = at.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight + (at - midnight) // step * step


# --- the simulator -------------------------------------------------------------------


def _start_id(at: datetime) -> str:
    return f"{int(at.timestamp() * 1000)}-0"


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class Simulator:
    """Reads DMs and cards from ``events``, plans the clients' answers, publishes them."""

    def __init__(
        self,
        bus: StreamBus,
        pool: asyncpg.Pool | None,
        clock: Clock,
        behaviour: Behaviour,
        *,
        group: str = GROUP,
        consumer: str = CONSUMER,
        lookback: timedelta = LOOKBACK,
    ):
        self.bus = bus
        self.pool = pool
        self.clock = clock
        self.behaviour = behaviour
        self.group = group
        self.consumer = consumer
        self.lookback = lookback
        self.key = bus.key(Stream.EVENTS)
        self.clients: dict[UUID, ClientFacts] = {}
        self._clients_loaded_at = 0.0
        self.cards: dict[tuple[UUID, date], JobCardIssuedPayload] = {}
        self.cards_received: dict[tuple[UUID, date], datetime] = {}
        self.planned: dict[str, date] = {}
        """What was already answered (a delivery, a card), so a repeat plans nothing."""
        self._queue: list[tuple[datetime, int, Action]] = []
        self._order = itertools.count()
        self.published = 0

    # --- the group -------------------------------------------------------------------

    async def open(self) -> None:
        """A fresh group: a stale one (a killed simulator's) is dropped first."""
        await self.destroy_group()
        start = _start_id(datetime.now(UTC) - self.lookback)
        await self.bus.redis.xgroup_create(self.key, self.group, id=start, mkstream=True)

    async def destroy_group(self) -> None:
        with contextlib.suppress(aioredis.ResponseError):  # no stream, no group
            await self.bus.redis.xgroup_destroy(self.key, self.group)

    async def read(self, block_ms: int) -> list[Message]:
        """New events (acknowledged at once: the plans live in memory)."""
        response: Any = await self.bus.redis.xreadgroup(
            self.group, self.consumer, {self.key: ">"}, count=200, block=max(block_ms, 1)
        )
        ids: list[bytes] = []
        messages: list[Message] = []
        for _stream, entries in response or []:
            for entry_id, entry_fields in entries:
                ids.append(entry_id)
                kind = _text(entry_fields.get(b"type", b""))
                if kind not in ("delivery.outcome", "jobcard.issued"):
                    continue
                try:
                    messages.append(parse_message(entry_fields.get(b"data", b"")))
                except (ValidationError, ValueError):
                    continue  # the api's group dead-letters it; not ours to judge
        if ids:
            await self.bus.redis.xack(self.key, self.group, *ids)
        return messages

    # --- clients ---------------------------------------------------------------------

    async def load_clients(self) -> None:
        if self.pool is None:
            return
        rows = await self.pool.fetch(SELECT_CLIENTS)
        self.clients = {row["id"]: client_facts(row) for row in rows}
        self._clients_loaded_at = time.monotonic()

    async def client(self, client_id: UUID) -> ClientFacts | None:
        known = self.clients.get(client_id)
        if known is not None:
            return known
        since = time.monotonic() - self._clients_loaded_at
        if since > RELOAD_CLIENTS_AFTER.total_seconds():
            await self.load_clients()  # onboarded since we last looked
        return self.clients.get(client_id)

    # --- planning --------------------------------------------------------------------

    async def handle(self, message: Message) -> list[Action]:
        """Plan (and queue) what the client does about ``message``."""
        if isinstance(message, JobCardIssued):
            return await self._card_issued(message.payload)
        if not isinstance(message, DeliveryOutcome):
            return []
        outcome = message.payload
        if outcome.status is not DeliveryStatus.DRY_RUN or outcome.client_id is None:
            return []  # really sent (a real client answers), or never reached them
        client = await self.client(outcome.client_id)
        if client is None:
            return []
        received = self.clock.now()
        day = outcome.fire.local_date if outcome.fire else received.date()
        key = f"delivery:{outcome.delivery_id}"
        if key in self.planned:
            return []
        self.planned[key] = day
        actions: list[Action] = []
        if outcome.kind is DeliveryKind.CHECKIN_PROMPT:
            actions, why = self.behaviour.checkin(client, day, received)
            if not actions:
                log.info(
                    "client does not check in",
                    status="ignored",
                    client=client.display_name,
                    local_date=str(day),
                    why=why,
                )
            actions += self.behaviour.unprompted_dm(client, day, received)
        elif outcome.kind is DeliveryKind.JOBCARD:
            self.cards_received[(client.id, day)] = received
            actions = self._work_card(client, day)
        elif outcome.kind is DeliveryKind.MEAL_REMINDER:
            trigger = outcome.fire.trigger if outcome.fire else "dinner_reminder"
            actions = self.behaviour.meals(client, day, trigger, received)
        elif outcome.kind is DeliveryKind.NUDGE:
            actions = self.behaviour.reply_to_coach(client, outcome.delivery_id, received)
        self.enqueue(actions)
        if actions:
            self._log_plan(
                client, DM_NAMES.get(outcome.kind, outcome.kind.value), actions, received
            )
        return actions

    def _log_plan(
        self, client: ClientFacts, what: str, actions: Sequence[Action], received: datetime
    ) -> None:
        soonest = min(action.at for action in actions)
        log.info(
            f"{client.first_name} reads the {what}",
            status="planned",
            actions=len(actions),
            first_in_min=round((soonest - received).total_seconds() / 60),
        )

    async def _card_issued(self, card: JobCardIssuedPayload) -> list[Action]:
        self.cards[(card.client_id, card.local_date)] = card
        client = await self.client(card.client_id)
        if client is None:
            return []
        actions = self._work_card(client, card.local_date)
        self.enqueue(actions)
        if actions:
            self._log_plan(client, "job card", actions, self.clock.now())
        return actions

    def _work_card(self, client: ClientFacts, day: date) -> list[Action]:
        """Clicks happen once the card is both issued (its ids) and delivered (seen)."""
        card = self.cards.get((client.id, day))
        received = self.cards_received.get((client.id, day))
        if card is None or received is None:
            return []
        key = f"card:{card.card_id}"
        if key in self.planned:
            return []
        self.planned[key] = day
        return self.behaviour.job_card(client, card, received)

    def enqueue(self, actions: Sequence[Action]) -> None:
        for action in actions:
            heapq.heappush(self._queue, (action.at, next(self._order), action))

    def next_due(self) -> datetime | None:
        return self._queue[0][0] if self._queue else None

    async def publish_due(self) -> int:
        """Publish every action whose time has come, in time order."""
        now = self.clock.now()
        due: list[Action] = []
        while self._queue and self._queue[0][0] <= now:
            due.append(heapq.heappop(self._queue)[2])
        if not due:
            return 0
        await self.bus.publish_many([action.message for action in due])
        for action in due:
            log.info(action.summary, status=action.status, type=action.message.type)
        self.published += len(due)
        return len(due)

    def forget_old(self) -> None:
        horizon = self.clock.now().date() - timedelta(days=FORGET_AFTER_DAYS)
        self.planned = {k: d for k, d in self.planned.items() if d >= horizon}
        for table in (self.cards, self.cards_received):
            for key in [k for k in table if k[1] < horizon]:
                del table[key]

    # --- the loop --------------------------------------------------------------------

    def block_ms(self, ceiling: float = 1.0) -> int:
        due = self.next_due()
        wait = ceiling if due is None else self.clock.real_seconds_until(due)
        return int(max(min(wait, ceiling), 0.01) * 1000)

    async def run(self, stop: asyncio.Event) -> None:
        await self.load_clients()
        await self.open()
        log.info(
            "simulated clients ready",
            status="ready",
            clients=len(self.clients),
            speed=self.clock.speed,
            group=self.group,
        )
        try:
            rounds = 0
            while not stop.is_set():
                try:
                    await self.publish_due()
                    for message in await self.read(self.block_ms()):
                        await self.handle(message)
                except aioredis.ResponseError as exc:
                    if "NOGROUP" not in str(exc):
                        raise
                    await self.open()  # Redis lost the stream (a restart without data)
                except (aioredis.ConnectionError, aioredis.TimeoutError, OSError) as exc:
                    log.warning("redis unavailable; retrying", status="waiting", error=str(exc))
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), timeout=1.0)
                rounds += 1
                if rounds % 600 == 0:
                    self.forget_old()
        finally:
            try:
                await self.destroy_group()
            except (aioredis.RedisError, OSError) as exc:
                log.warning("could not remove the consumer group", status="error", error=str(exc))
            log.info("simulated clients stopped", status="stopped", published=self.published)


def client_facts(row: Any) -> ClientFacts:
    return ClientFacts(
        id=row["id"],
        display_name=row["display_name"],
        time_zone=row["time_zone"],
        status=row["status"],
        goal=row["goal"],
        target_kcal=row["target_kcal"],
        target_protein_g=row["target_protein_g"],
        target_steps=row["target_steps"],
        target_water_ml=row["target_water_ml"],
        training_days=tuple(row["training_days"]),
        weight_kg=None if row["weight_kg"] is None else float(row["weight_kg"]),
        weight_date=row["weight_date"],
    )


async def furthest_tick(pool: asyncpg.Pool) -> datetime | None:
    value: datetime | None = await pool.fetchval(SELECT_FURTHEST_TICK)
    return value


async def simulate_main(
    stop: asyncio.Event,
    settings: KitSettings,
    speed: float,
    seed: str,
    step: timedelta,
    run_tick: TickRunner = run_tick_command,
) -> None:
    """The process: a simulator, and at ``speed`` > 1 the clock and ticks it drives."""
    pool = await create_pool(settings, min_size=1, max_size=2)
    redis = aioredis.Redis.from_url(settings.redis_url)
    bus = StreamBus(redis, prefix=settings.key_prefix)
    try:
        now = datetime.now(UTC)
        ahead = await furthest_tick(pool)
        clock: Clock
        tasks: list[asyncio.Task[None]] = []
        if speed > 1:
            sim = SimClock(max(now, ahead or now), speed)
            clock = sim
            driver = TickDriver(sim, run_tick, step)
            tasks.append(asyncio.create_task(driver.run(stop), name="simulator-ticks"))
            log.info(
                "driving the scheduler's clock",
                status="ready",
                start=sim.now().isoformat(timespec="minutes"),
                speed=speed,
                tick_minutes=step.total_seconds() / 60,
            )
        else:
            clock = RealClock()
            if ahead is not None and ahead > now + timedelta(minutes=2):
                log.warning(
                    "an earlier --speed run moved the schedule ahead of real time; "
                    "nothing fires until then (seed-demo --reset starts over)",
                    status="waiting",
                    until=ahead.isoformat(timespec="minutes"),
                )
        simulator = Simulator(bus, pool, clock, Behaviour(seed))
        try:
            await simulator.run(stop)
        finally:
            stop.set()
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        await redis.aclose()
        await pool.close()


def simulate(
    speed: Annotated[
        float,
        typer.Option(
            min=1,
            max=1440,
            help="Simulated time per real time. Above 1 the simulator also drives the "
            "scheduler's tick on its simulated clock (a throwaway database: the "
            "schedule runs ahead of real time).",
        ),
    ] = 1.0,
    seed: Annotated[str, typer.Option(help="Seed of every client's choices.")] = DEFAULT_SEED,
    tick_minutes: Annotated[
        int,
        typer.Option(
            min=1,
            max=15,
            help="With --speed above 1: simulated minutes between ticks (at most the "
            "scheduler's grace, or fires turn missed).",
        ),
    ] = 5,
) -> None:
    """Simulated clients answer dry-run DMs: check-ins, job cards, meals, workouts, DMs."""
    settings = KitSettings()
    configure_logging("simulator", settings.log_level, settings.log_json)

    async def main(stop: asyncio.Event) -> None:
        await simulate_main(stop, settings, speed, seed, timedelta(minutes=tick_minutes))

    asyncio.run(serve("simulator", main))


def register(app: typer.Typer) -> None:
    app.command("simulate")(simulate)
