"""One scheduler tick: fire what is due, follow client changes, close deadlines, publish.

Every step is set-based and safe to repeat or to run in two processes at once:

1. **Fire due pairs.** ``next_fires`` rows at or before *now* (an index range, so the
   cost follows the due pairs, not the roster) are recorded in the ledger
   ``trigger_fires`` with ``ON CONFLICT DO NOTHING`` and advanced to their next fire,
   in one transaction. A fire later than the grace window (the scheduler was down) is
   recorded ``missed`` with reason ``scheduler_down`` instead of being sent. The fires
   that were new to the ledger are then published straight away, from the rows already
   read: in a second transaction that marks them enqueued, publishes, and commits.
2. **Follow changes.** Clients changed since the last tick (zone, status, overrides —
   the database stamps ``schedule_changed_at``) get their next fires recomputed.
3. **Deadlines.** Open fires whose answer window closed become ``missed``.
4. **Publish what is owed.** Ledger rows not yet enqueued (Redis was down, a crash) and
   missed fires not yet reported are composed by their engine and published, then
   marked. Nothing is published before its ledger row commits, so a crash in between
   only delays a message to the next tick; ids derived from the fire make a repeat
   harmless.

Coach-level triggers (the weekly scan) run on the coach's clock in :meth:`Ticker.coach_tick`
with the same rules: recorded before published, late beyond the grace window = missed.

Composing a fire's messages is the tick's largest cost in Python (a job card is ten
buttons and two validated messages), so after each tick the service composes the fires
due by the next one (:meth:`Ticker.compose_ahead`): that tick only records and publishes
them. Nothing depends on it: a fire composed ahead is used only if what it was composed
from is still exactly what the tick reads; any other fire is composed in the tick.
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
from collections.abc import Awaitable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid5

import asyncpg
from redis.exceptions import RedisError

from monstercoach_kit.bus import Encoded, StreamBus, encode
from monstercoach_kit.db import rows_affected
from monstercoach_kit.log import get_logger
from monstercoach_schemas.domain import Evidence, FlagCode, FlagSeverity, FlagSource
from monstercoach_schemas.lst.base import CoachLocalTime, Trigger
from monstercoach_schemas.lst.plan import (
    CLIENT_TRIGGERS,
    Override,
    client_triggers,
    coach_triggers,
    deadline_at,
    next_client_fire,
)
from monstercoach_schemas.lst.timing import Fire, InvalidScheduleError, previous_fire
from monstercoach_schemas.messages import (
    Envelope,
    FireMissed,
    FireMissedPayload,
    FlagRaised,
    FlagRaisedPayload,
)

from . import store
from .composers import compose_for
from .engines.base import FIRE_NAMESPACE, ClientFacts, FireContext
from .settings import SchedulerSettings
from .store import LedgerRows, NextFireRows

log = get_logger(__name__)

SCHEDULER_DOWN = "scheduler_down"
_SYNCED_THROUGH = "synced_through"
_LST_VERSION = "lst_version"
_INSTALLED = "installed"


@dataclass
class TickReport:
    """What one tick did, for logs, metrics, the CLI and tests."""

    at: datetime
    fired: int = 0
    missed_scheduler_down: int = 0
    rescheduled_clients: int = 0
    invalid_schedules: int = 0
    missed_deadline: int = 0
    coach_fires: int = 0
    published: int = 0
    reported_missed: int = 0
    publish_error: str | None = None

    def as_log(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k != "at" and v}


@dataclass
class _Replan:
    """Next-fire changes for a set of clients, applied together."""

    upserts: NextFireRows = field(default_factory=NextFireRows.empty)
    drop_pairs: list[tuple[UUID, str, str]] = field(default_factory=list)
    drop_clients: list[UUID] = field(default_factory=list)
    invalid: list[tuple[ClientFacts, str]] = field(default_factory=list)

    async def apply(self, conn: asyncpg.Connection) -> None:
        await self.apply_drops(conn)
        if self.upserts.client_id:
            await conn.execute(store.UPSERT_NEXT_FIRES, *self.upserts.args())

    async def apply_drops(self, conn: asyncpg.Connection) -> None:
        """The deletions, which go first: an upsert after them may plan a pair again."""
        if self.drop_clients:
            await conn.execute(store.DELETE_CLIENTS_FIRES, self.drop_clients)
        if self.drop_pairs:
            await conn.execute(
                store.DELETE_NEXT_FIRES, *map(list, zip(*self.drop_pairs, strict=True))
            )


_ToSend = tuple[asyncpg.Record, datetime | None]
"""A due pair's row (the client's columns included) and its fire's deadline."""

_Composed = Sequence[Encoded] | Exception | None
"""A fire's messages, serialised, what its engine raised, or ``None`` when it is not
sent now."""

_FireKey = tuple[str, str, UUID, date]
"""A fire's ledger key: engine, trigger, client, local date."""


@dataclass(frozen=True, slots=True)
class _Ahead:
    """A fire composed before it was due, and everything it was composed from: engines
    are pure functions of the context, so an equal context gives the same messages."""

    context: FireContext
    messages: Sequence[Encoded]


@dataclass
class _DueBatch:
    """One batch of due pairs, planned: ledger rows and plan changes to write, and for
    each ledger row (same position) what to publish at once, if anything."""

    ledger: LedgerRows = field(default_factory=LedgerRows.empty)
    replan: _Replan = field(default_factory=_Replan)
    to_send: list[_ToSend | None] = field(default_factory=list)
    due_again: bool = False
    """A pair's next fire is at or before *now* too (days of downtime): read again."""

    async def record(self, conn: asyncpg.Connection, now: datetime) -> list[int]:
        """Write the ledger rows and the advanced plan; the positions of the new rows."""
        if not self.ledger.engine:
            return []
        args = [*self.ledger.args(), now, *self.replan.upserts.args()]
        return [row["n"] - 1 for row in await conn.fetch(store.RECORD_FIRES, *args)]


def lst_version() -> str:
    """A fingerprint of every client-level trigger's default time: when a deploy changes
    the LST, every client's next fires are recomputed once."""
    spec = "|".join(
        f"{t.engine}.{t.trigger}@{t.when.at}:{','.join(t.when.weekdays)}"  # type: ignore[union-attr]
        for t in client_triggers()
    )
    return hashlib.sha256(spec.encode()).hexdigest()[:16]


class Ticker:
    """Runs ticks against one database and one bus. Between ticks it holds only the
    fires composed ahead of the next one, which that tick checks before using."""

    def __init__(
        self, pool: asyncpg.Pool, bus: StreamBus, settings: SchedulerSettings, coach_zone: str
    ):
        self.pool = pool
        self.bus = bus
        self.settings = settings
        self.coach_zone = coach_zone
        self._ahead: dict[_FireKey, _Ahead] = {}

    # --- start-up -----------------------------------------------------------------------

    async def prepare(self, now: datetime) -> int:
        """Plan every client that has no plan yet (or all, after the LST changed).

        Existing rows are kept, so fires that fell due while the scheduler was down are
        still found by the next tick: caught up within the grace window, else recorded
        missed with reason ``scheduler_down``.
        """
        version = lst_version()
        async with self.pool.acquire() as conn, conn.transaction():
            known = await store.get_state(conn, _LST_VERSION)
            if known is None or known["value"] != version:
                triggers = client_triggers()
                await conn.execute(
                    store.DELETE_UNKNOWN_TRIGGERS,
                    [t.engine for t in triggers],
                    [t.trigger for t in triggers],
                )
                rows = await conn.fetch(store.SELECT_ALL_ACTIVE_CLIENTS)
            else:
                rows = await conn.fetch(store.SELECT_CLIENTS_MISSING_FIRES, len(CLIENT_TRIGGERS))
            replan = await self._replan(conn, rows, now)
            await store.put_state(conn, _LST_VERSION, now, version)
            db_now = await conn.fetchval("SELECT now()")
            await conn.execute(store.INIT_STATE, _SYNCED_THROUGH, db_now, None)
            await conn.execute(store.INIT_STATE, _INSTALLED, now, None)
        await self._raise_invalid(replan.invalid, now)
        return len(rows)

    # --- the tick -----------------------------------------------------------------------

    async def tick(self, now: datetime) -> TickReport:
        report = TickReport(now)
        with _collector_paused():
            await self.fire_due(now, report)
            await self.follow_changes(now, report)
            await self.close_deadlines(now, report)
            await self.publish_owed(now, report)
        if report.as_log():
            log.info("tick", status="ticked", at=now.isoformat(), **report.as_log())
        return report

    async def coach_tick(self, now: datetime) -> TickReport:
        """Coach-level triggers due by ``now`` (their own APScheduler jobs call this)."""
        report = TickReport(now)
        await self.fire_coach_triggers(now, report)
        await self.publish_owed(now, report)
        if report.as_log():
            log.info("coach tick", status="ticked", at=now.isoformat(), **report.as_log())
        return report

    async def fire_due(self, now: datetime, report: TickReport) -> None:
        batch = self.settings.batch_size
        while True:
            async with self.pool.acquire() as conn:
                async with conn.transaction():
                    await conn.execute(store.BATCH_SETTINGS)
                    rows = await conn.fetch(store.SELECT_DUE, now, batch)
                    due = self._plan_due(rows, now)
                    await due.replan.apply_drops(conn)
                    # Composing is all Python and writing the ledger mostly PostgreSQL's
                    # time, so the fires are composed in a worker thread meanwhile (and
                    # while they are taken for publishing). Not when Redis failed earlier
                    # in this tick: they stay owed, for the next one.
                    composing = (
                        asyncio.ensure_future(
                            asyncio.to_thread(_compose_all, due.to_send, self._ahead)
                        )
                        if report.publish_error is None
                        else None
                    )
                    new = await due.record(conn, now)
                report.fired += sum(due.ledger.status[i] == "fired" for i in new)
                report.missed_scheduler_down += sum(due.ledger.status[i] == "missed" for i in new)
                await self._raise_invalid(due.replan.invalid, now)
                report.invalid_schedules += len(due.replan.invalid)
                if composing is not None:
                    sending = [i for i in new if due.to_send[i] is not None]
                    await self._publish_fired(conn, due.ledger, sending, composing, now, report)
            # Every row read was advanced or dropped, so this ends; a pair that was down
            # for days comes back once per missed day (each recorded scheduler_down).
            if len(rows) < batch and not due.due_again:
                return

    def _plan_due(self, rows: Sequence[asyncpg.Record], now: datetime) -> _DueBatch:
        due = _DueBatch()
        replan, grace = due.replan, self.settings.grace
        for row in rows:
            client_id, engine, trigger_id = row["client_id"], row["engine"], row["trigger"]
            if row["status"] != "active":  # paused since planned; the sync unplans it too
                replan.drop_clients.append(client_id)
                continue
            trigger = CLIENT_TRIGGERS.get((engine, trigger_id))
            if trigger is None:  # removed from the LST since this row was planned
                replan.drop_pairs.append((client_id, engine, trigger_id))
                continue
            fire = Fire(row["fire_at"], row["local_date"])
            zone_name = row["time_zone"]
            late = now - fire.at > grace
            try:
                deadline = None if late else deadline_at(trigger, fire, zone_name)
                following = next_client_fire(trigger, zone_name, store.override_of(row), fire.at)
            except InvalidScheduleError as exc:
                replan.drop_clients.append(client_id)
                replan.invalid.append((store.client_facts(client_id, row), str(exc)))
                continue
            if late:
                due.ledger.add(
                    engine, trigger_id, client_id, fire.local_date, fire.at, None, "missed",
                    SCHEDULER_DOWN,
                )  # fmt: skip
                due.to_send.append(None)  # reported by publish_owed as fire.missed
            else:
                due.ledger.add(
                    engine, trigger_id, client_id, fire.local_date, fire.at, deadline, "fired",
                    None,
                )  # fmt: skip
                # Past its deadline already (a late tick): close_deadlines records it
                # missed, and the fire.missed is what gets sent.
                closed = deadline is not None and deadline <= now
                due.to_send.append(None if closed else (row, deadline))
            if following is None:
                replan.drop_pairs.append((client_id, engine, trigger_id))
            else:
                replan.upserts.add(
                    client_id, engine, trigger_id, following.at, following.local_date
                )
                due.due_again = due.due_again or following.at <= now
        return due

    async def _publish_fired(
        self,
        conn: asyncpg.Connection,
        ledger: LedgerRows,
        sending: Sequence[int],
        composing: Awaitable[list[_Composed]],
        now: datetime,
        report: TickReport,
    ) -> None:
        """Publish fires this tick recorded (committed): ``sending`` are their positions in
        ``ledger`` and in what ``composing`` returns.

        One transaction, committed after the publish: take the fires (mark them enqueued,
        which locks them), record the ones whose engine failed as missed, publish the
        rest. A fire another publisher took meanwhile, or one answered meanwhile, is not
        taken, so not published.
        """
        if not sending:
            return
        keys = [[column[i] for i in sending] for column in ledger.key_columns()]
        published = 0
        try:
            async with conn.transaction():
                await conn.execute(store.PUBLISH_SETTINGS)
                taken = [
                    sending[row["n"] - 1] for row in await conn.fetch(store.CLAIM_FIRED, now, *keys)
                ]
                composed = await composing
                messages: list[Encoded] = []
                for i in taken:
                    fire = composed[i]
                    if isinstance(fire, Exception):
                        key = [column[i] for column in ledger.key_columns()]
                        await _record_compose_failure(conn, key, fire)
                    elif fire is not None:
                        messages.extend(fire)
                        published += 1
                await self.bus.publish_many(messages)
        except (RedisError, OSError) as exc:
            _redis_down(report, exc)
            return
        report.published += published

    async def follow_changes(self, now: datetime, report: TickReport) -> None:
        lag = timedelta(seconds=self.settings.resync_lag_seconds)
        async with self.pool.acquire() as conn, conn.transaction():
            synced = await store.get_state(conn, _SYNCED_THROUGH)
            db_now = await conn.fetchval("SELECT now()")
            since = (synced["at"] if synced else db_now) - lag
            rows = await conn.fetch(store.SELECT_CHANGED_CLIENTS, since)
            replan = await self._replan(conn, rows, now)
            await store.put_state(conn, _SYNCED_THROUGH, db_now)
        await self._raise_invalid(replan.invalid, now)
        report.rescheduled_clients += len(rows)
        report.invalid_schedules += len(replan.invalid)

    async def _replan(
        self, conn: asyncpg.Connection, rows: Sequence[asyncpg.Record], now: datetime
    ) -> _Replan:
        """Recompute the next fires (after ``now``) of the clients in ``rows``."""
        replan = _Replan()
        if not rows:
            return replan
        overrides: dict[tuple[UUID, str, str], Override | None] = {
            (o["client_id"], o["engine"], o["trigger"]): store.override_of(o)
            for o in await conn.fetch(store.SELECT_OVERRIDES, store.ids(rows))
        }
        for row in rows:
            client_id = row["client_id"]
            if row["status"] != "active":
                replan.drop_clients.append(client_id)
                continue
            try:
                plan = [
                    (trigger, next_client_fire(
                        trigger, row["time_zone"],
                        overrides.get((client_id, trigger.engine, trigger.trigger)), now,
                    ))
                    for trigger in client_triggers()
                ]  # fmt: skip
            except InvalidScheduleError as exc:
                replan.drop_clients.append(client_id)
                replan.invalid.append((store.client_facts(client_id, row), str(exc)))
                continue
            for trigger, fire in plan:
                if fire is None:
                    replan.drop_pairs.append((client_id, trigger.engine, trigger.trigger))
                else:
                    # Unchanged rows are not rewritten (the upsert compares first).
                    replan.upserts.add(
                        client_id, trigger.engine, trigger.trigger, fire.at, fire.local_date
                    )
        await replan.apply(conn)
        return replan

    async def close_deadlines(self, now: datetime, report: TickReport) -> None:
        result = await self.pool.execute(store.MARK_PAST_DEADLINE, now)
        report.missed_deadline += rows_affected(result)

    # --- composing ahead ----------------------------------------------------------------

    async def compose_ahead(self, now: datetime, horizon: timedelta = timedelta(minutes=1)) -> int:
        """Compose the fires due after ``now`` and up to ``now + horizon`` (at most one
        batch), for the tick that will fire them; returns how many. What was composed
        ahead before is dropped first, so if PostgreSQL fails here nothing is: the tick
        then composes every fire itself, as it always can."""
        self._ahead = {}
        rows = await self.pool.fetch(
            store.SELECT_COMING, now, now + horizon, self.settings.batch_size
        )
        with _collector_paused():
            self._ahead = await asyncio.to_thread(_compose_coming, rows)
        return len(self._ahead)

    # --- coach-level triggers -----------------------------------------------------------

    async def fire_coach_triggers(self, now: datetime, report: TickReport) -> None:
        async with self.pool.acquire() as conn:
            installed = await store.get_state(conn, _INSTALLED)
            for trigger in coach_triggers():
                assert isinstance(trigger.when, CoachLocalTime)
                fire = previous_fire(self.coach_zone, trigger.when.at, trigger.when.weekdays, now)
                if installed is not None and fire.at < installed["at"]:
                    continue  # before this scheduler ever ran: nothing was owed then
                late = now - fire.at > self.settings.grace
                status = await conn.fetchval(
                    store.CLAIM_COACH_FIRE, trigger.engine, trigger.trigger, fire.local_date,
                    fire.at, now, "missed" if late else "fired", SCHEDULER_DOWN if late else None,
                )  # fmt: skip
                if status == "missed":
                    log.warning(
                        "coach-level fire missed", status="missed", reason=SCHEDULER_DOWN,
                        engine=trigger.engine, trigger=trigger.trigger, scheduled_for=fire.at,
                    )  # fmt: skip
                elif status == "fired":
                    report.coach_fires += 1

    # --- publishing ---------------------------------------------------------------------

    async def publish_owed(self, now: datetime, report: TickReport) -> None:
        """Publish every owed message; Redis being down only defers them to a later tick."""
        if report.publish_error is not None:
            return  # Redis failed earlier in this tick: not again, the next tick retries
        try:
            await self._publish_owed_fires(now, report)
            await self._publish_coach_fires()
        except (RedisError, OSError) as exc:
            _redis_down(report, exc)

    async def _publish_owed_fires(self, now: datetime, report: TickReport) -> None:
        batch = self.settings.batch_size
        while True:
            # The rows stay locked while they are published, so a second scheduler skips
            # them instead of publishing them too; a crash before the commit re-publishes
            # them next tick, with the same ids.
            async with self.pool.acquire() as conn, conn.transaction():
                await conn.execute(store.BATCH_SETTINGS)
                rows = await conn.fetch(store.SELECT_OWED, batch)
                messages: list[Envelope[Any]] = []
                sent: list[asyncpg.Record] = []
                for row in rows:
                    composed = await self._compose_owed(conn, row)
                    if composed is not None:
                        messages.extend(composed)
                        sent.append(row)
                await self.bus.publish_many(messages)
                marked = await conn.execute(
                    store.MARK_SENT, now, *_keys(sent), [row["status"] for row in sent]
                )
            report.reported_missed += sum(row["status"] == "missed" for row in sent)
            report.published += sum(row["status"] == "fired" for row in sent)
            # Stop when the batch was the last, or when nothing moved (a concurrent
            # writer changed the rows): the next tick picks up whatever is left.
            if len(rows) < batch or rows_affected(marked) == 0:
                return

    async def _compose_owed(
        self, conn: asyncpg.Connection, row: asyncpg.Record
    ) -> Sequence[Envelope[Any]] | None:
        if row["status"] == "missed":
            return [_fire_missed(row)]
        trigger = CLIENT_TRIGGERS.get((row["engine"], row["trigger"]))
        try:
            if trigger is None:
                raise LookupError("trigger no longer in the LST")
            return compose_for(trigger)(_context(trigger, row))
        except Exception as exc:
            key = [row["engine"], row["trigger"], row["client_id"], row["local_date"]]
            await _record_compose_failure(conn, key, exc)
            return None

    async def _publish_coach_fires(self) -> None:
        for row in await self.pool.fetch(store.SELECT_UNSENT_COACH_FIRES):
            trigger = next(
                (
                    t
                    for t in coach_triggers()
                    if (t.engine, t.trigger) == (row["engine"], row["trigger"])
                ),
                None,
            )
            if trigger is None:
                continue
            context = FireContext(
                trigger.engine, trigger.trigger, None, row["local_date"], row["scheduled_for"], None
            )
            await self.bus.publish_many(compose_for(trigger)(context))
            await self.pool.execute(
                store.MARK_COACH_FIRE_SENT, row["engine"], row["trigger"], row["local_date"]
            )

    async def _raise_invalid(
        self, invalid: Sequence[tuple[ClientFacts, str]], now: datetime
    ) -> None:
        """Tell the coach (a flag) about every schedule the tick had to skip."""
        for client, reason in invalid:
            log.error(
                "client schedule is invalid; skipped", status="invalid",
                client_id=str(client.id), time_zone=client.time_zone, reason=reason,
            )  # fmt: skip
        if not invalid:
            return
        try:
            await self.bus.publish_many([_schedule_invalid_flag(c, r, now) for c, r in invalid])
        except (RedisError, OSError) as exc:
            # The client stays unplanned; the next start-up plans (and flags) it again.
            log.warning("could not raise schedule flags", status="waiting", error=str(exc))


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for one tick.

    A tick of thousands of fires allocates hundreds of thousands of objects (rows, fire
    contexts, messages) that live until their batch is published and hold no reference
    cycles: reference counting frees them. Meanwhile the collector would walk them again
    and again: a third of the CPU of a 10,000-fire tick. It resumes when the tick ends.
    """
    if not gc.isenabled():  # paused by a concurrent tick, or turned off on purpose
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _redis_down(report: TickReport, exc: BaseException) -> None:
    report.publish_error = f"{type(exc).__name__}: {exc}"
    log.warning("redis unavailable; fires stay recorded", status="waiting", error=str(exc))


def _compose_all(
    to_send: Sequence[_ToSend | None], ahead: Mapping[_FireKey, _Ahead]
) -> list[_Composed]:
    """Each due fire's messages, serialised, at the same positions: composed ahead if
    from the same context, else now (in a worker thread: pure)."""
    composed: list[_Composed] = []
    for send in to_send:
        if send is None:
            composed.append(None)
            continue
        try:
            context = _due_context(send)
            known = ahead.get(_key_of(context))
            if known is not None and known.context == context:
                composed.append(known.messages)
                continue
            compose = compose_for(CLIENT_TRIGGERS[context.engine, context.trigger])
            composed.append([encode(message) for message in compose(context)])
        except Exception as exc:  # recorded with the fire, by the caller
            composed.append(exc)
    return composed


def _compose_coming(rows: Sequence[asyncpg.Record]) -> dict[_FireKey, _Ahead]:
    """The coming fires' messages, by fire (in a worker thread: pure). A fire that will
    not be sent as planned (paused client, trigger gone, broken zone, engine error) is
    left out: its tick handles it as it handles every fire."""
    ahead: dict[_FireKey, _Ahead] = {}
    for row in rows:
        trigger = CLIENT_TRIGGERS.get((row["engine"], row["trigger"]))
        if trigger is None or row["status"] != "active":
            continue
        try:
            deadline = deadline_at(
                trigger, Fire(row["fire_at"], row["local_date"]), row["time_zone"]
            )
            context = _due_context((row, deadline))
            messages = compose_for(trigger)(context)
        except Exception as exc:  # the tick composes it again, and records it if it fails
            log.debug("not composed ahead", error=str(exc))
            continue
        # Stamped with the fire's instant, not the minute before when it was composed:
        # the api shows a delivery's created_at as when it was sent out.
        ahead[_key_of(context)] = _Ahead(
            context,
            [
                encode(message.model_copy(update={"created_at": context.scheduled_for}))
                for message in messages
            ],
        )
    return ahead


def _key_of(context: FireContext) -> _FireKey:
    return (context.engine, context.trigger, context.who.id, context.local_date)


async def _record_compose_failure(
    conn: asyncpg.Connection, key: Sequence[Any], exc: BaseException
) -> None:
    """Record as missed the fire with primary ``key`` whose engine raised ``exc``: an
    engine bug must not block every other fire."""
    reason = f"could not compose: {type(exc).__name__}: {exc}"[:500]
    log.error("compose failed", status="missed", reason=reason, exc_info=exc)
    await conn.execute(store.MARK_COMPOSE_FAILED, *key, reason)


def _due_context(send: _ToSend) -> FireContext:
    row, deadline = send
    return FireContext(
        engine=row["engine"],
        trigger=row["trigger"],
        client=store.client_facts(row["client_id"], row),
        local_date=row["local_date"],
        scheduled_for=row["fire_at"],
        deadline_at=deadline,
    )


def _context(trigger: Trigger, row: asyncpg.Record) -> FireContext:
    return FireContext(
        engine=trigger.engine,
        trigger=trigger.trigger,
        client=store.client_facts(row["client_id"], row),
        local_date=row["local_date"],
        scheduled_for=row["scheduled_for"],
        deadline_at=row["deadline_at"],
    )


def _fire_missed(row: asyncpg.Record) -> FireMissed:
    key = f"{row['engine']}:{row['trigger']}:{row['client_id']}:{row['local_date']}:missed"
    return FireMissed(
        idempotency_key=key,
        payload=FireMissedPayload(
            engine=row["engine"],
            trigger=row["trigger"],
            client_id=row["client_id"],
            local_date=row["local_date"],
            scheduled_for=row["scheduled_for"],
            reason=row["reason"] or "missed",
        ),
    )


def _iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _schedule_invalid_flag(client: ClientFacts, reason: str, now: datetime) -> FlagRaised:
    week = _iso_week(now.astimezone(UTC).date())
    key = f"schedule_invalid:{client.id}:{week}"
    return FlagRaised(
        idempotency_key=key,
        payload=FlagRaisedPayload(
            flag_id=uuid5(FIRE_NAMESPACE, key),
            client_id=client.id,
            iso_week=week,
            code=FlagCode.SCHEDULE_INVALID,
            severity=FlagSeverity.HIGH,
            source=FlagSource.SYSTEM,
            evidence=[Evidence(label="time zone", value=client.time_zone[:200])],
            rationale=f"{reason[:1500]}. No reminders reach this client until it is fixed.",
            suggested_action="Fix the client's time zone or schedule override in Battle Station.",
            raised_at=now,
        ),
    )


def _keys(rows: Sequence[asyncpg.Record]) -> list[list[Any]]:
    return [
        [row["engine"] for row in rows],
        [row["trigger"] for row in rows],
        [row["client_id"] for row in rows],
        [row["local_date"] for row in rows],
    ]
