"""The scan end to end with the DSPy reviewer (a stand-in LM): words from PostgreSQL
reach the model, and dspy-sourced flags with evidence from both sides are published."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import asyncpg

from monstercoach_flagworker.evaluation.standin import StandInLM
from monstercoach_flagworker.scan import Scanner
from monstercoach_flagworker.settings import FlagSettings
from monstercoach_kit.bus import StreamBus
from monstercoach_schemas.domain import FlagCode, FlagSource
from monstercoach_schemas.messages import FlagRaisedPayload
from tests.flagworker.builders import (
    AFTER_THE_WEEK,
    add_checkin,
    add_client,
    add_coach,
    add_dm,
    add_meal,
    add_workout,
    day,
)
from tests.flagworker.dspy_builders import KeywordModel, reviewer
from tests.flagworker.test_scan import digests_published, flags_published, request


async def claims_four_sessions(pool: asyncpg.Pool) -> tuple[UUID, dict[str, UUID]]:
    """On plan, but one workout logged against "trained 4x", and a sore knee in a DM."""
    client_id = await add_client(pool, "Claims Four")
    rows: dict[str, UUID] = {}
    for n in range(7):
        note = "trained 4x this week, felt great" if n == 6 else ""
        rows[f"checkin{n}"] = await add_checkin(pool, client_id, day(n), note)
        await add_meal(pool, client_id, day(n), 2000, 150)
    rows["workout"] = await add_workout(pool, client_id, day(2))
    rows["dm"] = await add_dm(
        pool, client_id, datetime(2026, 11, 19, 12, tzinfo=UTC), "my knee hurts after squats"
    )
    return client_id, rows


async def claims_macros(pool: asyncpg.Pool) -> UUID:
    """Says macros were hit; logged 1,100 kcal and 70 g protein a day."""
    client_id = await add_client(pool, "Claims Macros")
    for n in range(7):
        await add_checkin(pool, client_id, day(n), "hit my macros all week" if n == 5 else "")
        await add_meal(pool, client_id, day(n), 1100, 70)
    return client_id


async def test_a_scan_publishes_dspy_flags_citing_both_sides(
    pool: asyncpg.Pool, bus: StreamBus
) -> None:
    four, rows = await claims_four_sessions(pool)
    macros = await claims_macros(pool)
    ghost = await add_client(pool, "Ghost")
    await add_coach(pool)
    lm = StandInLM(respond=KeywordModel())
    scanner = Scanner(pool, bus, FlagSettings(_env_file=None), reviewer(lm, concurrency=2))

    await scanner.scan(request(), as_of=AFTER_THE_WEEK, trace_id="trace-ai")

    flags: dict[tuple[UUID, FlagCode], FlagRaisedPayload] = {
        (f.payload.client_id, f.payload.code): f.payload for f in await flags_published(bus)
    }
    recon = flags[four, FlagCode.RECON_TRAINING]
    assert recon.source is FlagSource.DSPY
    said, logged = recon.evidence
    assert (said.value, said.refs) == ("trained 4x", [str(rows["checkin6"])])
    assert (logged.value, logged.refs) == (1, [str(rows["workout"])])
    injury = flags[four, FlagCode.INJURY_MENTIONED]
    assert (injury.source, injury.evidence[0].refs) == (FlagSource.DSPY, [str(rows["dm"])])
    assert {code for client, code in flags if client == four} == {
        FlagCode.RECON_TRAINING,
        FlagCode.INJURY_MENTIONED,
    }

    assert flags[macros, FlagCode.RECON_NUTRITION].source is FlagSource.DSPY
    under = flags[macros, FlagCode.UNDER_EATING]
    assert (under.source, under.rationale) == (FlagSource.RULES, "AI: under_eating explained.")
    # A silent client's rule flags are reviewed too (one call: no words to reconcile).
    ghost_flags = [f for (client, _), f in flags.items() if client == ghost]
    assert ghost_flags
    assert all(f.source is FlagSource.RULES and f.rationale.startswith("AI: ") for f in ghost_flags)
    assert lm.calls == 2 + 2 + 1
    assert lm.peak <= 2

    [digest] = await digests_published(bus)
    assert "(rules + DSPy review by test/stand-in)" in digest.payload.text
