"""The scan: what it publishes, that a re-run publishes the same keys, the reviewer seam."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from uuid import UUID, uuid4, uuid5

import asyncpg
import pytest

from monstercoach_flagworker.review import RULES_ONLY_NOTE, ClientWeek, Reviewer, RulesOnly
from monstercoach_flagworker.rules import DraftFlag
from monstercoach_flagworker.scan import FLAG_NAMESPACE, Scanner, ScanOutcome, ScanRejected
from monstercoach_flagworker.settings import FlagSettings
from monstercoach_kit.bus import StreamBus
from monstercoach_schemas.domain import (
    DeliveryKind,
    Evidence,
    FlagCode,
    FlagSeverity,
    FlagSource,
)
from monstercoach_schemas.messages import (
    DeliveryRequested,
    FlagRaised,
    Message,
    ScanRequestedPayload,
    parse_message,
)
from monstercoach_schemas.streams import Stream
from tests.flagworker.builders import (
    AFTER_THE_WEEK,
    WEEK,
    add_checkin,
    add_client,
    add_coach,
    add_dm,
    add_meal,
    day,
)

GHOST_CODES = {FlagCode.GONE_QUIET, FlagCode.LOW_CHECKIN_RATE, FlagCode.LOW_MEAL_LOGGING}


def request(client_id: UUID | None = None, week: str = WEEK) -> ScanRequestedPayload:
    return ScanRequestedPayload(iso_week=week, client_id=client_id, requested_by="test")


def scanner_for(
    pool: asyncpg.Pool, bus: StreamBus, reviewer: Reviewer | None = None, **settings: int
) -> Scanner:
    return Scanner(pool, bus, FlagSettings(_env_file=None, **settings), reviewer or RulesOnly())


async def published(bus: StreamBus, stream: Stream) -> list[Message]:
    entries = await bus.redis.xrange(bus.key(stream.value))
    return [parse_message(fields[b"data"]) for _, fields in entries]


async def flags_published(bus: StreamBus) -> list[FlagRaised]:
    return [m for m in await published(bus, Stream.EVENTS) if isinstance(m, FlagRaised)]


async def digests_published(bus: StreamBus) -> list[DeliveryRequested]:
    return [m for m in await published(bus, Stream.DELIVERIES) if isinstance(m, DeliveryRequested)]


async def add_good_week(pool: asyncpg.Pool, name: str) -> UUID:
    """Checked in and logged on target every day: no rule fires."""
    client_id = await add_client(pool, name)
    for n in range(7):
        await add_checkin(pool, client_id, day(n))
        await add_meal(pool, client_id, day(n), 2000, 150)
    return client_id


@pytest.fixture
async def roster(pool: asyncpg.Pool) -> dict[str, UUID]:
    return {
        "ghost": await add_client(pool, "Ghost Writer"),
        "good": await add_good_week(pool, "Good Client"),
        "paused": await add_client(pool, "Paused Client", status="paused"),
    }


async def scan(scanner: Scanner, payload: ScanRequestedPayload) -> ScanOutcome:
    return await scanner.scan(payload, as_of=AFTER_THE_WEEK, trace_id="trace-1")


class TestRosterScan:
    async def test_one_flag_per_code_for_the_flagged_client_only(
        self, pool: asyncpg.Pool, bus: StreamBus, roster: dict[str, UUID]
    ) -> None:
        outcome = await scan(scanner_for(pool, bus), request())
        flags = await flags_published(bus)
        assert outcome.clients == 2  # the paused client is not scanned
        assert {f.payload.client_id for f in flags} == {roster["ghost"]}
        assert {f.payload.code for f in flags} == GHOST_CODES
        for flag in flags:
            key = f"flag:{roster['ghost']}:{WEEK}:{flag.payload.code}"
            assert flag.idempotency_key == f"{key}@trace-1"
            assert flag.payload.flag_id == uuid5(FLAG_NAMESPACE, key)
            assert flag.payload.severity is FlagSeverity.HIGH
            assert flag.payload.source is FlagSource.RULES
            assert flag.payload.raised_at == AFTER_THE_WEEK
            assert flag.trace_id == "trace-1"

    async def test_every_flag_says_it_is_rules_only(
        self, pool: asyncpg.Pool, bus: StreamBus, roster: dict[str, UUID]
    ) -> None:
        await scan(scanner_for(pool, bus), request())
        rationales = [f.payload.rationale for f in await flags_published(bus)]
        assert rationales
        assert all(r.startswith(f"[{RULES_ONLY_NOTE}] ") for r in rationales)

    async def test_a_digest_goes_to_every_coach(
        self, pool: asyncpg.Pool, bus: StreamBus, roster: dict[str, UUID]
    ) -> None:
        coaches = [await add_coach(pool, "Dana"), await add_coach(pool, "Sam")]
        outcome = await scan(scanner_for(pool, bus), request())
        digests = await digests_published(bus)
        assert outcome.digests == 2
        assert sorted(d.payload.recipient_discord_id for d in digests) == sorted(
            snowflake for _, snowflake in coaches
        )
        for digest in digests:
            assert digest.payload.kind is DeliveryKind.COACH_DIGEST
            assert digest.payload.client_id is None
            text = digest.payload.text
            assert f"**Weekly scan {WEEK}**: 2 clients, 1 flagged ({RULES_ONLY_NOTE})." in text
            assert "Flags: 3 high, 0 medium, 0 low" in text
            assert "High (1): Ghost Writer (gone quiet, low checkin rate, low meal logging)" in text

    async def test_a_redelivered_scan_repeats_its_keys_and_a_rescan_keeps_the_ids(
        self, pool: asyncpg.Pool, bus: StreamBus, roster: dict[str, UUID]
    ) -> None:
        await add_coach(pool)
        scanner = scanner_for(pool, bus)
        await scanner.scan(request(), trace_id="scan-a", as_of=AFTER_THE_WEEK)
        first_flags, first_digests = await flags_published(bus), await digests_published(bus)
        # The same scan message delivered again: every key repeats, so nothing applies twice.
        await scanner.scan(request(), trace_id="scan-a", as_of=AFTER_THE_WEEK)
        again = await flags_published(bus)
        # A re-scan of the week later (a second click): new keys, so the api refreshes
        # severity and evidence, but the same flag ids (one flag per client, week, code).
        await scanner.scan(request(), trace_id="scan-b", as_of=datetime(2026, 11, 25, tzinfo=UTC))
        flags, digests = await flags_published(bus), await digests_published(bus)

        def keys(messages: Sequence[FlagRaised]) -> set[str]:
            return {m.idempotency_key for m in messages}

        def flag_ids(messages: Sequence[FlagRaised]) -> set[UUID]:
            return {m.payload.flag_id for m in messages}

        def digest_ids(messages: Sequence[DeliveryRequested]) -> set[tuple[str, UUID]]:
            return {(m.idempotency_key, m.payload.delivery_id) for m in messages}

        assert len(flags) == 3 * len(first_flags)
        assert keys(again) == keys(first_flags)
        assert len(keys(flags)) == 2 * len(first_flags)
        assert flag_ids(flags) == flag_ids(first_flags)
        assert len(flag_ids(first_flags)) == len(first_flags)
        assert digest_ids(digests) == digest_ids(first_digests)

    async def test_progress_is_reported_per_chunk(
        self, pool: asyncpg.Pool, bus: StreamBus, roster: dict[str, UUID]
    ) -> None:
        calls: list[tuple[int, int]] = []
        await scanner_for(pool, bus, publish_chunk=1).scan(
            request(), as_of=AFTER_THE_WEEK, on_progress=lambda *args: calls.append(args)
        )
        assert calls == [(1, 2), (2, 2)]


class TestOneClientScan:
    async def test_scans_that_client_and_sends_no_digest(
        self, pool: asyncpg.Pool, bus: StreamBus, roster: dict[str, UUID]
    ) -> None:
        await add_coach(pool)
        other_ghost = await add_client(pool, "Another Ghost")
        outcome = await scan(scanner_for(pool, bus), request(other_ghost))
        assert outcome.clients == 1
        assert {f.payload.client_id for f in await flags_published(bus)} == {other_ghost}
        assert (outcome.digests, await digests_published(bus)) == (0, [])

    async def test_an_unknown_client_is_rejected(self, pool: asyncpg.Pool, bus: StreamBus) -> None:
        with pytest.raises(ScanRejected, match="no client with id"):
            await scan(scanner_for(pool, bus), request(uuid4()))

    async def test_a_paused_client_is_skipped_quietly(
        self, pool: asyncpg.Pool, bus: StreamBus, roster: dict[str, UUID]
    ) -> None:
        outcome = await scan(scanner_for(pool, bus), request(roster["paused"]))
        assert (outcome.clients, outcome.flags) == (0, ())
        assert await published(bus, Stream.EVENTS) == []


async def test_a_week_that_has_not_started_is_rejected(pool: asyncpg.Pool, bus: StreamBus) -> None:
    with pytest.raises(ScanRejected, match="2026-W49 has not started"):
        await scan(scanner_for(pool, bus), request(week="2026-W49"))


class InjuryReader:
    """A stand-in for the DSPy program: reads the client's words, rewords one rule flag,
    adds one of its own, and (wrongly) leaves another rule flag out."""

    description = "test reviewer"
    reads_client_words = True

    def __init__(self) -> None:
        self.seen: list[ClientWeek] = []

    async def review(self, weeks: Sequence[ClientWeek]) -> list[list[DraftFlag]]:
        self.seen.extend(weeks)
        return [self._one(week) for week in weeks]

    def _one(self, week: ClientWeek) -> list[DraftFlag]:
        assert week.words is not None
        flags = [replace(f, rationale="worded by the model") for f in week.rule_flags[1:]]
        for said in week.words.direct_messages:
            if "knee" in said.text:
                evidence = (Evidence(label="direct message", value=said.text, refs=[said.ref]),)
                flags.append(
                    DraftFlag(
                        FlagCode.INJURY_MENTIONED,
                        FlagSeverity.MEDIUM,
                        evidence,
                        "Mentions a knee injury.",
                        suggested_action="Swap lunges for a pain-free variation.",
                        source=FlagSource.DSPY,
                    )
                )
        return flags


async def test_a_reviewer_adds_flags_but_cannot_drop_rule_flags(
    pool: asyncpg.Pool, bus: StreamBus
) -> None:
    client_id = await add_client(pool, "Ghost With A Knee")
    dm_id = await add_dm(pool, client_id, datetime(2026, 11, 17, 12, tzinfo=UTC), "my knee hurts")
    reviewer = InjuryReader()
    await scan(scanner_for(pool, bus, reviewer), request())
    flags = {f.payload.code: f.payload for f in await flags_published(bus)}
    week = reviewer.seen[0]
    assert [said.ref for said in week.words.direct_messages] == [str(dm_id)]  # type: ignore[union-attr]
    # The DM breaks the silence on Tuesday: the rules see 5 silent days, not 7.
    assert week.metrics.longest_silence_days == 5
    injury = flags[FlagCode.INJURY_MENTIONED]
    assert (injury.source, injury.suggested_action) == (
        FlagSource.DSPY,
        "Swap lunges for a pain-free variation.",
    )
    assert injury.evidence[0].refs == [str(dm_id)]
    dropped = week.rule_flags[0]
    assert flags[dropped.code].rationale == dropped.rationale  # kept as the rules wrote it
    reworded = [flags[f.code].rationale for f in week.rule_flags[1:]]
    assert reworded == ["worded by the model"] * len(reworded)
