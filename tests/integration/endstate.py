"""The end state every fault test asserts, read from the outside.

* **Ledger**: exactly the fires the LST owes, each once; none left owed to the bus;
  every missed fire has a reason and was reported.
* **Deliveries** (the api's ``deliveries`` table): every delivery ever requested is
  there, ``sent`` or ``missed`` with the reason; nothing ``queued`` is left.
* **Discord** (the simulator's own record): each sent delivery is exactly one DM with
  that delivery's nonce in the right DM channel, and there is no other DM: zero
  duplicates; no global 429 was provoked.
* **Events**: every client event published is in the api's tables exactly once.
* **Streams**: every group read and acknowledged everything; no dead letters unless the
  test expects them.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import asyncpg

from monstercoach_bot.render import delivery_nonce
from monstercoach_kit.bus import StreamBus
from monstercoach_schemas.messages import DeliveryRequested, FlagRaised, parse_message
from monstercoach_schemas.streams import CONSUMERS, Group, Stream

from .load import Day, FireKey, Published
from .processes import DiscordSim


async def delivery_requests(bus: StreamBus) -> list[DeliveryRequested]:
    """Every ``delivery.requested`` on the ``deliveries`` stream, in order, repeats too."""
    found: list[DeliveryRequested] = []
    after = "-"
    while entries := await bus.redis.xrange(bus.key(Stream.DELIVERIES), min=after, count=5000):
        for _, fields in entries:
            try:
                message = parse_message(fields.get(b"data", b""))
            except ValueError:
                continue  # a poison entry
            if isinstance(message, DeliveryRequested):
                found.append(message)
        after = "(" + entries[-1][0].decode()
    return found


async def requested_deliveries(bus: StreamBus) -> dict[UUID, DeliveryRequested]:
    """Every delivery id put on the ``deliveries`` stream (by anyone, any number of times)."""
    return {m.payload.delivery_id: m for m in await delivery_requests(bus)}


async def enqueue_counts(bus: StreamBus) -> Counter[UUID]:
    """How many times each delivery id was put on the ``deliveries`` stream."""
    return Counter(m.payload.delivery_id for m in await delivery_requests(bus))


async def describe_dead_letters(bus: StreamBus, count: int = 5) -> str:
    """The dead letters, for a failure message (read raw: their data may not be UTF-8)."""
    entries = await bus.redis.xrange(bus.dead_letter_key, count=count)
    lines = []
    for _, fields in entries:
        get = {k.decode(): v.decode(errors="replace") for k, v in fields.items()}
        lines.append(f"{get.get('stream')}/{get.get('group')} {get.get('type')}: "
                     f"{get.get('error', '')[:300]}")  # fmt: skip
    return f"{await bus.dead_letter_count()} dead letters, e.g.\n" + "\n".join(lines)


STUCK_AFTER_MS = 45_000
"""A group with unread entries whose every consumer has not read for this long has lost
its consumer (no live one goes a read longer: the slowest batch takes ~15 s here)."""


async def streams_drained(bus: StreamBus, groups: Collection[Group] = tuple(Group)) -> list[str]:
    """What is still unread or unacknowledged, per stream and group (empty: drained).

    Raises at once when a group's consumers all stopped reading while entries wait.
    """
    behind = []
    for stream, consumers in CONSUMERS.items():
        key = bus.key(stream)
        if not await bus.redis.exists(key):
            continue
        info = {g["name"].decode(): g for g in await bus.redis.xinfo_groups(key)}
        last_id = (await bus.redis.xinfo_stream(key))["last-generated-id"]
        for group in (g for g in consumers if g in groups):
            g = info.get(group.value)
            if g is None:
                behind.append(f"{stream}/{group}: no group yet")
                continue
            # Redis cannot always tell the lag (e.g. after it restarted from its AOF):
            # then the group has read everything when it read the newest entry.
            lag = g.get("lag")
            unread = _entry(g["last-delivered-id"]) < _entry(last_id) if lag is None else lag
            if g["pending"] or unread:
                behind.append(f"{stream}/{group}: pending {g['pending']}, lag {lag}, {g}")
                # Only unread entries tell: entries merely pending may be waiting, as
                # designed, for min_idle_ms before a retry (and Redis before 7.2 does not
                # count an empty read as activity).
                members = await bus.redis.xinfo_consumers(key, group.value)
                idle = [int(m.get("inactive", m.get("idle", 0))) for m in members]
                if unread and idle and min(idle) > STUCK_AFTER_MS:
                    raise AssertionError(
                        f"{stream}/{group}: no consumer has read for {min(idle) / 1000:.0f}s "
                        f"with work waiting (pending {g['pending']}, lag {lag}): its consumer "
                        "stopped"
                    )
    return behind


def _entry(entry_id: bytes | str) -> tuple[int, int]:
    text = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    ms, _, seq = text.partition("-")
    return int(ms), int(seq or 0)


async def eventually(
    check: Callable[[], Awaitable[list[str]]], within: float, every: float = 0.5
) -> float:
    """Poll ``check`` (it returns what is still wrong) until it is empty; the seconds taken."""
    started = time.monotonic()
    problems: list[str] = []
    while time.monotonic() - started < within:
        problems = await check()
        if not problems:
            return time.monotonic() - started
        await asyncio.sleep(every)
    raise AssertionError(f"not settled within {within}s:\n" + "\n".join(problems[:40]))


@dataclass
class Summary:
    """What the end state holds, for the test's report."""

    fires: int = 0
    deliveries: int = 0
    sent: int = 0
    missed: Counter[str] = field(default_factory=Counter)
    fires_missed: Counter[str] = field(default_factory=Counter)
    events: int = 0
    nonce_replays: int = 0
    retried_then_sent: int = 0
    dead_letters: int = 0
    missed_but_delivered: list[tuple[UUID, str]] = field(default_factory=list)
    unknown: int = 0
    """Deliveries recorded failed, "outcome unknown": Discord never answered within the
    nonce window (decision 0009); such a DM may or may not exist."""
    unknown_delivered: int = 0

    def __str__(self) -> str:
        return (
            f"fires={self.fires} deliveries={self.deliveries} sent={self.sent} "
            f"missed={dict(self.missed)} fires_missed={dict(self.fires_missed)} "
            f"events={self.events} nonce_replays={self.nonce_replays} "
            f"retried_then_sent={self.retried_then_sent} dead_letters={self.dead_letters} "
            f"unknown={self.unknown} (delivered {self.unknown_delivered})"
        )


class EndState:
    def __init__(
        self,
        pool: asyncpg.Pool,
        bus: StreamBus,
        sim: DiscordSim,
        day: Day | None,
        groups: Collection[Group] = tuple(Group),
        on_stuck: Callable[[], Awaitable[None]] | None = None,
    ):
        self.pool = pool
        self.bus = bus
        self.sim = sim
        self.day = day
        self.groups = groups
        """The consumer groups of the services running (the others are not waited for)."""
        self.on_stuck = on_stuck
        """Called when the system does not settle (e.g. stop the services, so that a
        consumer that died says why: its task's exception surfaces at shutdown)."""

    @property
    def published(self) -> Published:
        assert self.day is not None
        return self.day.published

    # --- settling ---------------------------------------------------------------------

    async def settled(self) -> list[str]:
        """What still moves: unread entries, owed fires, deliveries without an outcome."""
        problems = await streams_drained(self.bus, self.groups)
        if self.day is not None:
            # A fire the bot found undeliverable becomes missed after the last tick; the
            # next tick reports it. The clock stays at the last tick: nothing new fires.
            await self.day.tick(self.day.last_tick, answer=False)
            owed = await self.pool.fetchval(
                "SELECT count(*) FROM trigger_fires WHERE (status = 'fired' AND enqueued_at "
                "IS NULL) OR (status = 'missed' AND reported_at IS NULL)"
            )
            if owed:
                problems.append(f"{owed} fires still owed to the bus")
            if self.day.taps:
                problems.append(f"{len(self.day.taps)} job-card taps wait for their card")
        # (Once the api's group read everything, every requested delivery is recorded.)
        queued = await self.pool.fetchval("SELECT count(*) FROM deliveries WHERE status = 'queued'")
        if queued:
            problems.append(f"{queued} deliveries still queued")
        if self.day is not None:
            events = await self._event_rows()
            if events < self.published.events:
                problems.append(f"{self.published.events - events} client events not persisted")
        return problems

    async def wait(self, within: float) -> float:
        try:
            return await eventually(self.settled, within)
        except AssertionError as exc:
            if self.on_stuck is not None:
                await self.on_stuck()
            raise AssertionError(f"{exc}\n{await describe_dead_letters(self.bus)}") from None

    async def _event_rows(self) -> int:
        counts = await self.pool.fetchrow(
            """
            SELECT (SELECT count(*) FROM checkins) + (SELECT count(*) FROM meal_logs)
                 + (SELECT count(*) FROM workout_logs) + (SELECT count(*) FROM direct_messages)
                 + (SELECT count(*) FROM job_card_items WHERE status IN ('done', 'skipped'))
                   AS n
            """
        )
        return int(counts["n"])

    # --- the assertions ------------------------------------------------------------------

    async def check(self, *, dead_letters: int = 0, allow_missed: bool = True) -> Summary:
        summary = Summary()
        if self.day is not None:
            await self.check_ledger(summary)
            await self.check_events(summary)
        await self.check_deliveries(summary, allow_missed=allow_missed)
        summary.dead_letters = await self.bus.dead_letter_count()
        if dead_letters == 0 and summary.dead_letters:
            raise AssertionError(await describe_dead_letters(self.bus))
        # The bot's limiter keeps every call under Discord's global limit, whatever happens.
        stats = await self.sim.stats()
        assert stats["global_429s"] == 0, stats
        summary.nonce_replays = stats["nonce_replays"]
        # A DM recorded missed that Discord holds: the record lies to the coach (0009).
        assert not summary.missed_but_delivered, (
            f"{len(summary.missed_but_delivered)} deliveries recorded missed were delivered, "
            f"e.g. {summary.missed_but_delivered[:3]}"
        )
        return summary

    async def check_ledger(self, summary: Summary) -> None:
        assert self.day is not None
        rows = await self.pool.fetch(
            "SELECT engine, trigger, client_id, local_date, status, reason, enqueued_at, "
            "reported_at FROM trigger_fires"
        )
        ledger = {
            FireKey(r["engine"], r["trigger"], r["client_id"], r["local_date"]): r for r in rows
        }
        expected = self.day.expected()
        missing, extra = expected - ledger.keys(), ledger.keys() - expected
        assert not missing, (
            f"{len(missing)} fires never recorded, e.g. {sorted(missing, key=str)[:3]}"
        )
        assert not extra, f"{len(extra)} fires not owed, e.g. {sorted(extra, key=str)[:3]}"
        summary.fires = len(ledger)
        for key, row in ledger.items():
            assert row["status"] in ("enqueued", "answered", "missed"), (key, dict(row))
            if row["status"] == "missed":
                assert row["reason"], (key, dict(row))
                assert row["reported_at"] is not None, (key, dict(row))
                summary.fires_missed[row["reason"].split(":")[0]] += 1

    async def check_deliveries(self, summary: Summary, *, allow_missed: bool) -> None:
        requested = await requested_deliveries(self.bus)
        rows = {
            r["id"]: r
            for r in await self.pool.fetch(
                "SELECT id, client_id, recipient_discord_id, status, attempts, last_error, "
                "discord_message_id FROM deliveries"
            )
        }
        assert rows.keys() == requested.keys(), (
            f"recorded but never requested: {len(rows.keys() - requested.keys())}, "
            f"requested but not recorded: {len(requested.keys() - rows.keys())}"
        )
        if self.day is not None:
            # Every fire that was put on the bus asked for its delivery (each trigger DMs).
            enqueued = {
                FireKey(r["engine"], r["trigger"], r["client_id"], r["local_date"]).delivery_id
                for r in await self.pool.fetch(
                    "SELECT engine, trigger, client_id, local_date FROM trigger_fires "
                    "WHERE enqueued_at IS NOT NULL"
                )
            }
            assert enqueued <= rows.keys(), f"{len(enqueued - rows.keys())} fires' DMs lost"
        summary.deliveries = len(rows)

        recipients = {r["recipient_discord_id"] for r in rows.values()}
        dms = await self.bot_dms(recipients)
        by_nonce = Counter(m.get("nonce") for _, m in dms)
        duplicates = {nonce: n for nonce, n in by_nonce.items() if n > 1}
        assert not duplicates, f"{len(duplicates)} deliveries DMed more than once: {duplicates}"
        by_id = {m["id"]: (user, m) for user, m in dms}
        for delivery_id, row in rows.items():
            status = row["status"]
            assert status in ("sent", "missed", "failed"), (delivery_id, dict(row))
            if status == "failed":
                # Only an outcome Discord never settled may end here, and only under faults.
                assert allow_missed, (delivery_id, dict(row))
                assert row["last_error"].startswith("outcome unknown"), (delivery_id, dict(row))
                summary.unknown += 1
                summary.unknown_delivered += delivery_nonce(delivery_id) in by_nonce
                continue
            if status == "missed":
                assert allow_missed, (delivery_id, dict(row))
                assert row["last_error"], (delivery_id, dict(row))
                summary.missed[_reason(row["last_error"])] += 1
                continue
            summary.sent += 1
            summary.retried_then_sent += row["attempts"] > 1
            user, message = by_id.get(row["discord_message_id"], (None, None))
            assert message is not None, f"sent {delivery_id} but Discord has no such message"
            assert user == row["recipient_discord_id"], (delivery_id, user)
            assert message.get("nonce") == delivery_nonce(delivery_id), (delivery_id, message)
        # No DM that the record does not account for (a send whose outcome was lost, or
        # a delivery recorded missed that Discord did deliver), to anyone.
        summary.missed_but_delivered = [
            (delivery_id, row["last_error"])
            for delivery_id, row in rows.items()
            if row["status"] == "missed" and delivery_nonce(delivery_id) in by_nonce
        ]
        delivered = summary.sent + len(summary.missed_but_delivered) + summary.unknown_delivered
        assert len(dms) == delivered, f"{len(dms)} DMs on Discord, {summary.sent} recorded sent"
        counts = (await self.sim.stats())["message_counts"]
        assert sum(counts.values()) == len(dms), f"DMs to strangers: {counts.keys() - recipients}"

    async def bot_dms(self, users: Collection[str]) -> list[tuple[str, dict[str, Any]]]:
        """Every DM the bot created to ``users``, as Discord holds them."""
        found = []
        for user in sorted(users):
            found += [(user, m) for m in await self.sim.messages_to(user) if m["author"].get("bot")]
        return found

    async def check_events(self, summary: Summary) -> None:
        published = self.published
        for table, messages in (
            ("checkins", published.checkins),
            ("meal_logs", published.meals),
            ("workout_logs", published.workouts),
            ("direct_messages", published.dms),
        ):
            stored = [r["id"] for r in await self.pool.fetch(f"SELECT id FROM {table}")]
            wanted = [m.id for m in messages]
            assert len(stored) == len(set(stored))
            assert set(stored) == set(wanted), (
                f"{table}: {len(set(wanted) - set(stored))} lost, "
                f"{len(set(stored) - set(wanted))} unexpected"
            )
        marks = {
            r["id"]: r["status"]
            for r in await self.pool.fetch(
                "SELECT id, status FROM job_card_items WHERE status IN ('done', 'skipped')"
            )
        }
        wanted_marks = {m.payload.item_id: m.payload.status.value for m in published.marks}
        assert marks == wanted_marks, (
            f"job-card taps: {len(wanted_marks.keys() - marks.keys())} lost, "
            f"{sum(marks.get(k) != v for k, v in wanted_marks.items())} wrong"
        )
        summary.events = published.events


def _reason(error: str) -> str:
    """A short class of a delivery's error, for the summary."""
    if "50007" in error:
        return "403 cannot DM"
    if "10013" in error:
        return "404 unknown user"
    if error.startswith("gave up"):
        return "gave up after retries"
    if error.startswith("not_after"):
        return "past its deadline"
    return error[:40]


async def raised_flags(bus: StreamBus) -> set[tuple[object, ...]]:
    """Every (client, week, code) a ``flag.raised`` on ``events`` carried; entries that
    are not messages (poison) are passed over."""
    raised = set()
    for _, fields in await bus.redis.xrange(bus.key(Stream.EVENTS)):
        try:
            message = parse_message(fields.get(b"data", b""))
        except (ValueError, KeyError):
            continue
        if isinstance(message, FlagRaised):
            p = message.payload
            raised.add((p.client_id, p.iso_week, p.code))
    return raised
