"""The texts of /week, /roster and /flags, from figures (no database, no Discord)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from monstercoach_bot.events import relay_text
from monstercoach_bot.records import OpenFlag, WeekFigures
from monstercoach_bot.summaries import flags_text, roster_text, seen, weight_line
from monstercoach_schemas.domain import Goal

FIGURES = WeekFigures(
    first_day=date(2026, 11, 19),
    last_day=date(2026, 11, 25),
    checkins=0,
    items=0,
    items_done=0,
    meal_days=0,
    kcal_days=0,
    avg_kcal=None,
    protein_days=0,
    avg_protein_g=None,
    weigh_ins=2,
    first_weight_kg=80.0,
    last_weight_kg=81.0,
    today_checked_in=False,
    today_items=0,
    today_items_done=0,
    today_kcal=None,
)


@pytest.mark.parametrize(
    ("goal", "first", "last", "verdict"),
    [
        (Goal.FAT_LOSS, 82.0, 81.0, "heading the right way"),
        (Goal.FAT_LOSS, 81.0, 82.0, "the other way"),
        (Goal.MUSCLE_GAIN, 80.0, 81.0, "heading the right way"),
        (Goal.MAINTENANCE, 80.0, 80.2, "steady"),
        (Goal.RECOMP, 80.0, 81.0, "moving"),
    ],
)
def test_the_weight_trend_reads_against_the_goal(
    goal: Goal, first: float, last: float, verdict: str
) -> None:
    figures = replace(FIGURES, first_weight_kg=first, last_weight_kg=last)
    assert verdict in weight_line(figures, goal)


def test_one_weigh_in_is_no_trend() -> None:
    line = weight_line(replace(FIGURES, weigh_ins=1, first_weight_kg=81.0), Goal.FAT_LOSS)
    assert line == "Weight: 81 kg (one weigh-in; a few more show a trend)."


def test_seen() -> None:
    now = datetime(2026, 11, 26, tzinfo=UTC)
    assert seen(None, now) == "never active"
    assert seen(now - timedelta(hours=3), now) == "active today"
    assert seen(now - timedelta(days=3, hours=1), now) == "quiet 3 d"


def test_an_empty_roster_says_how_to_add() -> None:
    assert "/client add" in roster_text([], 0, 10, 0, datetime.now(UTC))


def test_flags_beyond_the_shown_point_to_battle_station() -> None:
    flag = OpenFlag("Sam", "GONE_QUIET", "high", "2026-W48", "")
    text = flags_text([flag], 20)
    assert text.splitlines()[1] == "🔴 **Sam** · GONE_QUIET (2026-W48)"
    assert text.endswith("…and 19 more in Battle Station.")
    assert flags_text([], 0) == "⚑ No open flags — all quiet. 🎉"


def test_a_relay_fits_in_one_dm() -> None:
    text = relay_text("Sam", "x" * 2000)
    assert len(text) == 2000
    assert text.startswith("📨 **Sam** wrote:\n")
    assert text.endswith("— reply with `/nudge client:Sam`")
