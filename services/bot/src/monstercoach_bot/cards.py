"""A job card on Discord: its text, its buttons, and what a click may do. No network.

The buttons carry the custom-id contract (``monstercoach_schemas.buttons``): a Done and
a Skip button per item. An item's answer shows in its buttons — Done greyed out once
done, Skip once skipped, both once missed — so a card message can be re-rendered from
itself and the database alone, and the bot keeps nothing in memory between clicks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from uuid import UUID

from monstercoach_schemas.buttons import (
    ItemAnswer,
    JobCardItemClick,
    jobcard_item_buttons,
    parse_custom_id,
)
from monstercoach_schemas.domain import JobCardItemStatus

from .records import Card, CardItem

Status = JobCardItemStatus

MARKS = {
    Status.PENDING: "▫️",
    Status.DONE: "✅",
    Status.SKIPPED: "⏭️",
    Status.MISSED: "❌",
}


@dataclass(frozen=True)
class ButtonState:
    custom_id: str
    label: str
    style: str
    disabled: bool = False


def day_label(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b}"


def card_text(card: Card) -> str:
    lines = [f"📋 **Job card · {day_label(card.local_date)}**"]
    lines += [f"{MARKS[item.status]} {item.label}" for item in card.items]
    done = sum(item.status is Status.DONE for item in card.items)
    answered = sum(item.status is not Status.PENDING for item in card.items)
    if done == len(card.items):
        lines.append("All done — great work today! 🎉")
    elif answered == len(card.items):
        lines.append(f"{done}/{len(card.items)} done. Fresh card tomorrow morning 💪")
    else:
        lines.append(f"{done}/{len(card.items)} done · tap ✅ as you go")
    return "\n".join(lines)


def card_buttons(card: Card) -> list[ButtonState]:
    """Two buttons per item, in the contract's order, showing each item's answer."""
    states: list[ButtonState] = []
    for item in card.items:
        done, skip = (
            ButtonState(b.custom_id, b.label, b.style)
            for b in jobcard_item_buttons(card.id, item.id, item.label)
        )
        if item.status is Status.DONE:
            done = replace(done, disabled=True)
        elif item.status is Status.SKIPPED:
            done = replace(done, style="secondary")
            skip = replace(skip, label="Skipped", disabled=True)
        elif item.status is Status.MISSED:
            done = replace(done, style="secondary", disabled=True)
            skip = replace(skip, label="Missed", disabled=True)
        states += [done, skip]
    return states


def shown_statuses(buttons: Iterable[tuple[str, bool]]) -> dict[UUID, Status]:
    """Each item's answer as a card message shows it, from its (custom id, disabled)
    buttons; buttons that are not job-card buttons are ignored."""
    disabled: dict[UUID, dict[ItemAnswer, bool]] = {}
    for custom_id, is_disabled in buttons:
        try:
            click = parse_custom_id(custom_id)
        except ValueError:
            continue
        if isinstance(click, JobCardItemClick):
            disabled.setdefault(click.item_id, {})[click.answer] = is_disabled
    shown: dict[UUID, Status] = {}
    for item_id, flags in disabled.items():
        done, skipped = flags.get("done", False), flags.get("skipped", False)
        if done and skipped:
            shown[item_id] = Status.MISSED
        elif done:
            shown[item_id] = Status.DONE
        elif skipped:
            shown[item_id] = Status.SKIPPED
        else:
            shown[item_id] = Status.PENDING
    return shown


def current_card(recorded: Card, shown: Mapping[UUID, Status]) -> Card:
    """The card as it stands: the database's answers, except where the message shows a
    newer one (the api records a click a moment after the bot publishes it)."""
    items = tuple(
        replace(item, status=shown[item.id])
        if shown.get(item.id) in (Status.DONE, Status.SKIPPED)
        else item
        for item in recorded.items
    )
    return replace(recorded, items=items)


def with_answer(card: Card, item_id: UUID, answer: ItemAnswer) -> Card:
    status = Status(answer)
    items = tuple(
        replace(item, status=status) if item.id == item_id else item for item in card.items
    )
    return replace(card, items=items)


def click_refusal(
    card: Card | None, client_id: UUID, click: JobCardItemClick, today: date
) -> str | None:
    """Why this click cannot count, said to the client; ``None`` when it can."""
    if card is None:
        return "I can't find that card yet — give it a few seconds and tap again."
    if card.client_id != client_id:
        return "That job card belongs to someone else."
    item = _item(card.items, click.item_id)
    if item is None:
        return "That item isn't on the card any more — send /jobcard for today's."
    if card.local_date < today:
        return (
            f"That card was for {day_label(card.local_date)} and is closed now. "
            "Send /jobcard for today's."
        )
    if item.status is Status.MISSED:
        return "Today's card is closed out — that item is marked missed. Fresh card tomorrow!"
    return None


def _item(items: Sequence[CardItem], item_id: UUID) -> CardItem | None:
    return next((item for item in items if item.id == item_id), None)
