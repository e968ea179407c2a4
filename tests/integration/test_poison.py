"""1,000 poison messages on each stream: every one dead-lettered, good ones still handled.

Poison is what a bug or a hostile writer could put on a stream: bytes that are not
JSON, JSON that is not an envelope, nesting deep enough to blow a recursive parser, an
unknown type, a known type with an invalid payload, an entry without data, and valid
messages that can never apply (a scan of an unknown client, a week that has not started,
a message on a stream its consumer does not handle). Good messages are interleaved with
them and published again after them. Each poison entry must land in the dead-letter
stream exactly once for every consumer group that cannot use it, with the reason, and
no consumer may stop or restart.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest

from monstercoach_api.app import create_app
from monstercoach_api.ingest.consumers import running_consumers
from monstercoach_api.settings import ApiSettings
from monstercoach_kit.bus import StreamBus
from monstercoach_kit.settings import KitSettings
from monstercoach_schemas.messages import (
    CheckinAnswered,
    CheckinAnsweredPayload,
    Envelope,
    MealLogged,
    MealLoggedPayload,
    ScanRequested,
    ScanRequestedPayload,
    parse_message,
)
from monstercoach_schemas.streams import Group, Stream
from tests.api.helpers import running_app

from .conftest import Stack
from .endstate import eventually, raised_flags
from .load import COACH_DISCORD_ID, Client, nudges, seed_clients

PER_STREAM = 1000
CLIENTS = 30
GROUPS = {
    Stream.EVENTS: frozenset({Group.API, Group.SCHEDULER}),
    Stream.DELIVERIES: frozenset({Group.BOT, Group.API}),
    Stream.SCANS: frozenset({Group.FLAGWORKER}),
}


@dataclass(frozen=True)
class Poison:
    kind: str
    fields: dict[str, bytes]
    groups: frozenset[Group]
    """The groups that must dead-letter it (the others may ignore it)."""


def raw(kind: str, data: bytes | None, stream: Stream, type_: str = "garbage") -> Poison:
    fields = {"type": type_.encode()}
    if data is not None:
        fields["data"] = data
    return Poison(kind, fields, GROUPS[stream])


def envelope(type_: str, payload: dict[str, object], **overrides: object) -> bytes:
    return json.dumps(
        {
            "id": str(uuid.uuid4()),
            "type": type_,
            "version": 1,
            "created_at": datetime.now(UTC).isoformat(),
            "idempotency_key": f"poison:{uuid.uuid4()}",
            "trace_id": uuid.uuid4().hex,
            "payload": payload,
            **overrides,
        }
    ).encode()


def checkin_payload(client_id: uuid.UUID, **overrides: object) -> dict[str, object]:
    return {
        "client_id": str(client_id),
        "local_date": "2026-11-26",
        "energy": 7,
        "answered_at": "2026-11-26T08:00:00+00:00",
        **overrides,
    }


def poison_kinds(stream: Stream, known: Client) -> list[Callable[[], Poison]]:
    """Makers of one poison entry of each kind for ``stream``."""
    everyone = GROUPS[stream]
    kinds: list[Callable[[], Poison]] = [
        lambda: raw("not json", b"\x00\xff\xfe{not json at all", stream),
        lambda: raw("json, not an object", b"[1, 2, 3]", stream),
        lambda: raw("deep nesting", b"[" * 100_000 + b"]" * 100_000, stream),
        lambda: raw("no data field", None, stream),
        lambda: raw("unknown type", envelope("client.exploded", {"boom": True}), stream),
        lambda: raw(
            "no payload",
            json.dumps({"type": "checkin.answered", "idempotency_key": "k"}).encode(),
            stream,
        ),
    ]
    stranger = uuid.uuid4  # a client id this system never onboarded
    if stream is Stream.EVENTS:
        kinds += [
            lambda: raw(
                "out-of-range payload",
                envelope("checkin.answered", checkin_payload(known.id, energy=99)),
                stream,
            ),
            lambda: raw(
                "naive timestamp",
                envelope(
                    "checkin.answered",
                    checkin_payload(known.id, answered_at="2026-11-26T08:00:00"),
                ),
                stream,
            ),
            lambda: raw(
                "text too long",
                envelope("dm.received", {"client_id": str(known.id), "discord_message_id":
                         "123456789012345678", "text": "x" * 2001,
                         "received_at": "2026-11-26T08:00:00+00:00"}),
                stream,
            ),
            # Valid, but it travels on the scans stream: the api refuses it; the
            # scheduler ignores it. (An event about a client nobody onboarded is not
            # poison here: the api and the scheduler wait hours for the onboarding.)
            lambda: Poison(
                "a scan request on the events stream",
                {"type": b"scan.requested",
                 "data": envelope("scan.requested", {"iso_week": _this_week(),
                                  "requested_by": "coach"})},
                frozenset({Group.API}),
            ),
        ]  # fmt: skip
    elif stream is Stream.DELIVERIES:
        delivery = {"delivery_id": None, "recipient_discord_id": known.discord_user_id,
                    "kind": "nudge", "text": "hi"}  # fmt: skip
        kinds += [
            lambda: raw(
                "recipient not a snowflake",
                envelope("delivery.requested", {**delivery, "delivery_id": str(uuid.uuid4()),
                         "recipient_discord_id": "<script>alert(1)</script>"}),
                stream,
            ),
            lambda: raw(
                "empty text",
                envelope("delivery.requested", {**delivery, "delivery_id": str(uuid.uuid4()),
                         "text": "   "}),
                stream,
            ),
            lambda: raw(
                "unknown delivery kind",
                envelope("delivery.requested", {**delivery, "delivery_id": str(uuid.uuid4()),
                         "kind": "spam"}),
                stream,
            ),
            # An event on the deliveries stream: the bot does not handle it, nor does the
            # api there (it would otherwise wait for the unknown client).
            lambda: Poison(
                "an event on the deliveries stream",
                {"type": b"checkin.answered",
                 "data": envelope("checkin.answered", checkin_payload(stranger()))},
                everyone,
            ),
        ]  # fmt: skip
    else:
        kinds += [
            lambda: raw("impossible week", envelope("scan.requested",
                        {"iso_week": "2027-W53", "requested_by": "coach"}), stream),
            lambda: raw("malformed week", envelope("scan.requested",
                        {"iso_week": "2026-W99", "requested_by": "coach"}), stream),
            lambda: Poison("week not started", {"type": b"scan.requested", "data": envelope(
                "scan.requested", {"iso_week": "2099-W01", "requested_by": "coach"})}, everyone),
            lambda: Poison("scan of an unknown client", {"type": b"scan.requested",
                           "data": envelope("scan.requested", {"iso_week": _this_week(),
                           "client_id": str(stranger()), "requested_by": "coach"})}, everyone),
        ]  # fmt: skip
    return kinds


def _this_week() -> str:
    year, week, _ = datetime.now(UTC).isocalendar()
    return f"{year}-W{week:02d}"


def good_messages(clients: list[Client], wave: int) -> dict[Stream, list[Envelope[Any]]]:
    events: list[Envelope[Any]] = []
    for client in clients:
        events.append(
            CheckinAnswered(
                idempotency_key=f"good:{wave}:{client.id}:checkin",
                payload=CheckinAnsweredPayload(
                    client_id=client.id,
                    local_date=datetime(2026, 11, 20 + wave, tzinfo=UTC).date(),
                    energy=6,
                    notes="fine",
                    answered_at=datetime(2026, 11, 20 + wave, 8, tzinfo=UTC),
                ),
            )
        )
        events.append(
            MealLogged(
                idempotency_key=f"good:{wave}:{client.id}:meal",
                payload=MealLoggedPayload(
                    client_id=client.id,
                    description="eggs",
                    logged_at=datetime(2026, 11, 20 + wave, 9, tzinfo=UTC),
                ),
            )
        )
    scans: list[Envelope[Any]] = []
    if wave == 0:
        scans.append(
            ScanRequested(
                idempotency_key="good:scan",
                payload=ScanRequestedPayload(iso_week=_this_week(), requested_by="coach"),
            )
        )
    return {
        Stream.EVENTS: events,
        Stream.DELIVERIES: list(nudges(clients, f"wave {wave}: keep it up")),
        Stream.SCANS: scans,
    }


@pytest.mark.timeout(180)
async def test_a_thousand_poison_messages_on_each_stream(stack: Stack) -> None:
    started = time.monotonic()
    clients = await seed_clients(stack.pool, CLIENTS)
    services = await stack.start("api", "bot", "scheduler", "flagworker")

    # Poison and the first wave of good messages, interleaved, in one pipeline per stream.
    poisoned: dict[str, tuple[Stream, Poison]] = {}
    good_ids: set[str] = set()
    first = good_messages(clients, 0)
    for stream in Stream:
        kinds = itertools.cycle(poison_kinds(stream, clients[0]))
        entries: list[tuple[Poison | None, dict[str, bytes]]] = [
            (poison, poison.fields) for poison in (next(kinds)() for _ in range(PER_STREAM))
        ]
        spacing = max(1, PER_STREAM // max(1, len(first[stream])))
        for i, message in enumerate(first[stream]):
            entries.insert(i * spacing + i, (None, _fields(message)))
        async with stack.redis.pipeline(transaction=False) as pipe:
            for _, fields in entries:
                pipe.xadd(stack.bus.key(stream), fields)
            ids = await pipe.execute()
        for (poison, _), entry_id in zip(entries, ids, strict=True):
            if poison is None:
                good_ids.add(entry_id.decode())
            else:
                poisoned[entry_id.decode()] = (stream, poison)
    published = time.monotonic()

    # ...and a second wave after all of it: the consumers are still going.
    second = good_messages(clients, 1)
    for messages in second.values():
        await stack.bus.publish_many(messages)

    expected = Counter(
        (stream.value, group.value, entry_id)
        for entry_id, (stream, poison) in poisoned.items()
        for group in poison.groups
    )

    async def all_dead_lettered() -> list[str]:
        n = await stack.bus.dead_letter_count()
        return [] if n >= sum(expected.values()) else [f"{n} of {sum(expected.values())}"]

    await eventually(all_dead_lettered, within=90)
    end = stack.end_state(None)
    settled = await end.wait(within=60)
    handled = time.monotonic() - published

    # Read raw: the data is compared byte for byte (StreamBus.dead_letters() shows bytes
    # that are not UTF-8 as escapes).
    letters = await raw_dead_letters(stack)
    got = Counter((d["stream"], d["group"], d["original_id"]) for d in letters)
    assert got == expected, (
        f"missing {sum((expected - got).values())}, unexpected {sum((got - expected).values())}: "
        f"{list((got - expected).items())[:5]}"
    )
    assert all(d["error"] for d in letters)
    for letter in letters:  # kept (verbatim, or re-serialized once parsed) for a replay
        _, poison = poisoned[str(letter["original_id"])]
        original = poison.fields.get("data", b"")
        if letter["data"] != original:
            assert parse_message(letter["data"]) == parse_message(original), letter  # type: ignore[arg-type]
    assert not good_ids & {d["original_id"] for d in letters}, "a good message was dead-lettered"

    # Every good message was handled, both waves.
    summary = await end.check(dead_letters=len(letters), allow_missed=False)
    waves = [first, second]
    checkins = {m.id for w in waves for m in w[Stream.EVENTS] if isinstance(m, CheckinAnswered)}
    meals = {m.id for w in waves for m in w[Stream.EVENTS] if isinstance(m, MealLogged)}
    assert {r["id"] for r in await stack.pool.fetch("SELECT id FROM checkins")} == checkins
    assert {r["id"] for r in await stack.pool.fetch("SELECT id FROM meal_logs")} == meals
    nudged = {m.payload.delivery_id for w in waves for m in w[Stream.DELIVERIES]}  # type: ignore[attr-defined]
    sent = {
        r["id"] for r in await stack.pool.fetch("SELECT id FROM deliveries WHERE status = 'sent'")
    }
    assert nudged <= sent
    # The good scan ran: its flags are recorded and the coach got the digest.
    flagworker = stack.services["flagworker"]
    finished = flagworker.records(lambda r: r.get("event") == "scan finished")
    assert [r["clients"] for r in finished] == [CLIENTS]
    raised = await raised_flags(stack.bus)
    assert await stack.pool.fetchval("SELECT count(*) FROM flags") == len(raised)
    assert (
        await stack.pool.fetchval(
            "SELECT count(*) FROM deliveries WHERE kind = 'coach_digest' AND status = 'sent'"
        )
        == 1
    )

    for service in services:
        assert service.running, f"{service.name} stopped"
        assert service.runs == 1, f"{service.name} restarted"
    kinds_seen = Counter(poison.kind for _, poison in poisoned.values())
    print(
        f"\nFIGURES poison: {len(poisoned)} entries ({len(kinds_seen)} kinds), {len(letters)} dead "
        f"letters, each once per group; good: {summary}; handled {handled:.1f}s after "
        f"publishing (settled {settled:.1f}s); {time.monotonic() - started:.1f}s"
    )


def _fields(message: Envelope[Any]) -> dict[str, bytes]:
    return {"type": message.type.encode(), "data": message.model_dump_json().encode()}


async def raw_dead_letters(stack: Stack) -> list[dict[str, object]]:
    entries = await stack.redis.xrange(stack.bus.dead_letter_key)
    return [
        {
            **{k.decode(): v.decode() for k, v in fields.items() if k != b"data"},
            "data": fields.get(b"data", b""),
        }
        for _, fields in entries
    ]


async def test_a_dead_letter_that_is_not_utf8_can_be_listed_and_replayed(
    bus: StreamBus, pool: asyncpg.Pool, kit_settings: KitSettings
) -> None:
    await bus.ensure_group(Stream.EVENTS, Group.API)
    garbage = {b"type": b"garbage", b"data": b"\xff\xfe{"}
    await bus.redis.xadd(bus.key(Stream.EVENTS), garbage)
    async with running_consumers(bus, pool, block_ms=50, maintenance_every_s=0.05):
        async with asyncio.timeout(10):
            while not await bus.dead_letter_count():  # noqa: ASYNC110
                await asyncio.sleep(0.05)
    settings = ApiSettings(
        _env_file=None,
        COACH_DISCORD_IDS=COACH_DISCORD_ID,
        session_secret="poison-test-session-secret-0123456789abcdef",
        dev_login=True,
        ingest=False,
    )
    async with running_app(create_app(kit_settings, settings)) as coach:
        assert (await coach.post("/auth/dev-login")).status_code == 200
        listing = await coach.get("/system/dead-letters")
        assert listing.status_code == 200, listing.text
        assert listing.json()["total"] == 1
        [letter] = listing.json()["items"]
        assert letter["data"] == "\\xff\\xfe{"
        replayed = await coach.post(f"/system/dead-letters/{letter['id']}/replay")
        assert replayed.status_code == 200, replayed.text
    [(_, fields)] = await bus.redis.xrange(bus.key(Stream.EVENTS), min=replayed.json()["new_id"])
    assert fields == garbage  # the original bytes, not the escaped text
