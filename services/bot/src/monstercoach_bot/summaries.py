"""The texts of ``/week``, ``/roster`` and ``/flags``: plain functions over what was read."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime

from monstercoach_schemas.domain import ClientStatus, Goal

from .cards import day_label
from .records import ClientRecord, OpenFlag, RosterLine, WeekFigures

STEADY_KG = 0.3
"""A week's weight change within this is "steady" whatever the goal."""


def _percent(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%" if whole else "n/a"


def weight_line(figures: WeekFigures, goal: Goal) -> str:
    if figures.weigh_ins == 0 or figures.last_weight_kg is None:
        return "Weight: no weigh-ins — add your weight in **/checkin** to see a trend."
    if figures.weigh_ins == 1 or figures.first_weight_kg is None:
        return f"Weight: {figures.last_weight_kg:g} kg (one weigh-in; a few more show a trend)."
    change = round(figures.last_weight_kg - figures.first_weight_kg, 1)
    trend = f"{figures.first_weight_kg:g} → {figures.last_weight_kg:g} kg ({change:+g} kg)"
    if abs(change) <= STEADY_KG:
        verdict = "steady"
    elif (goal is Goal.FAT_LOSS and change < 0) or (goal is Goal.MUSCLE_GAIN and change > 0):
        verdict = "heading the right way ✅"
    elif goal in (Goal.FAT_LOSS, Goal.MUSCLE_GAIN):
        verdict = "the other way this week — your coach will help you adjust"
    else:
        verdict = "moving; your coach keeps an eye on it"
    return f"Weight: {trend}, {verdict}."


def food_line(figures: WeekFigures, client: ClientRecord) -> str:
    if figures.meal_days == 0:
        return "Food: no meals logged — **/meal** takes ten seconds."
    parts = [f"meals on {figures.meal_days}/7 days"]
    if figures.avg_kcal is not None:
        parts.append(f"avg {round(figures.avg_kcal):,} kcal/day vs {client.target_kcal:,} target")
    if figures.avg_protein_g is not None:
        parts.append(f"protein avg {round(figures.avg_protein_g)} g vs {client.target_protein_g} g")
    return "Food: " + " · ".join(parts) + "."


def week_text(client: ClientRecord, figures: WeekFigures) -> str:
    span = f"{day_label(figures.first_day)} to {day_label(figures.last_day)}"
    card = (
        f"Job card: {figures.items_done}/{figures.items} done "
        f"({_percent(figures.items_done, figures.items)})."
        if figures.items
        else "Job card: no cards yet."
    )
    today = [
        "check-in ✅" if figures.today_checked_in else "check-in not yet",
        f"card {figures.today_items_done}/{figures.today_items}" if figures.today_items else "",
        f"{figures.today_kcal:,} kcal logged" if figures.today_kcal is not None else "",
    ]
    lines = [
        f"📊 **Your last 7 days** ({span})",
        f"Check-ins: {figures.checkins}/7.",
        card,
        food_line(figures, client),
        weight_line(figures, client.goal),
        "**Today so far:** " + " · ".join(part for part in today if part),
    ]
    if client.status is not ClientStatus.ACTIVE:
        lines.append(f"(Your coaching is {client.status.value} — I'm not logging anything new.)")
    return "\n".join(lines)


# --- coach views ---------------------------------------------------------------------------

STATUS_MARKS = {
    ClientStatus.ACTIVE: "🟢",
    ClientStatus.ONBOARDING: "🆕",
    ClientStatus.PAUSED: "⏸️",
    ClientStatus.ARCHIVED: "🗄️",
}
SEVERITY_MARKS = {"high": "🔴", "medium": "🟠", "low": "🟡"}


def pages(total: int, per_page: int) -> int:
    return max(1, math.ceil(total / per_page))


def seen(last: datetime | None, now: datetime) -> str:
    if last is None:
        return "never active"
    days = (now - last).days
    return "active today" if days < 1 else f"quiet {days} d"


def roster_line(line: RosterLine, now: datetime) -> str:
    name = f"**{line.display_name}**"
    if line.status is not ClientStatus.ACTIVE:
        name += f" ({line.status.value})"
    parts = [
        "check-in ✅" if line.checked_in else "no check-in",
        f"card {line.items_done}/{line.items}" if line.items else "no card",
        f"{line.meals} meal{'s' if line.meals != 1 else ''}",
        seen(line.last_activity_at, now),
    ]
    if line.open_flags:
        parts.append(f"⚑ {line.open_flags}")
    return f"{STATUS_MARKS[line.status]} {name} — " + " · ".join(parts)


def roster_text(
    lines: Sequence[RosterLine], page: int, per_page: int, total: int, now: datetime
) -> str:
    if total == 0:
        return "👥 No clients yet. Add one with **/client add**."
    head = f"👥 **Roster** · page {page + 1}/{pages(total, per_page)} · {total} clients · today"
    return "\n".join([head, *(roster_line(line, now) for line in lines)])


def flags_text(flags: Sequence[OpenFlag], total: int) -> str:
    if not flags:
        return "⚑ No open flags — all quiet. 🎉"
    lines = [f"⚑ **Open flags** · {total} open, most urgent first"]
    for flag in flags:
        why = f" — {_short(flag.rationale, 140)}" if flag.rationale else ""
        lines.append(
            f"{SEVERITY_MARKS.get(flag.severity, '•')} **{flag.display_name}** · "
            f"{flag.code} ({flag.iso_week}){why}"
        )
    if total > len(flags):
        lines.append(f"…and {total - len(flags)} more in Battle Station.")
    return _short("\n".join(lines), 2000)


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split()) if "\n" not in text else text
    return text if len(text) <= limit else text[: limit - 1] + "…"
