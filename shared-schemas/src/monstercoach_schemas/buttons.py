"""Button custom ids: the contract between whoever builds a DM and the bot that handles
the click.

A custom id carries everything its handler needs, so a button keeps working after the
bot restarts (persistent views) and the bot holds no state a restart would lose. The
scheduler builds job-card and prompt buttons, the bot parses them; both use this module
so the spelling exists once. Discord caps a custom id at 100 characters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal
from uuid import UUID

from .messages import Button

ItemAnswer = Literal["done", "skipped"]

_JOBCARD = "jc"
_CHECKIN = "checkin"
_MEAL = "meal"
_ANSWER_CODES: dict[ItemAnswer, str] = {"done": "d", "skipped": "s"}


@dataclass(frozen=True)
class JobCardItemClick:
    """The client marked one job-card item done or skipped."""

    card_id: UUID
    item_id: UUID
    answer: ItemAnswer


@dataclass(frozen=True)
class CheckinClick:
    """The client wants the check-in form for ``local_date``."""

    local_date: date


@dataclass(frozen=True)
class MealClick:
    """The client wants the meal-logging form."""


Click = JobCardItemClick | CheckinClick | MealClick


def jobcard_item_buttons(card_id: UUID, item_id: UUID, label: str) -> list[Button]:
    """A Done and a Skip button for one item; the label names the item on small screens."""
    short = label if len(label) <= 60 else label[:59] + "…"
    return [
        Button(
            custom_id=_jobcard_id(card_id, item_id, "done"), label=f"✅ {short}", style="success"
        ),
        Button(custom_id=_jobcard_id(card_id, item_id, "skipped"), label="Skip", style="secondary"),
    ]


def checkin_button(local_date: date) -> Button:
    return Button(
        custom_id=f"{_CHECKIN}:{local_date.isoformat()}", label="📝 Check in", style="primary"
    )


def meal_button() -> Button:
    return Button(custom_id=_MEAL, label="🍽️ Log a meal", style="primary")


def _jobcard_id(card_id: UUID, item_id: UUID, answer: ItemAnswer) -> str:
    return f"{_JOBCARD}:{card_id}:{item_id}:{_ANSWER_CODES[answer]}"


def parse_custom_id(custom_id: str) -> Click:
    """The click a custom id stands for; ``ValueError`` for anything this system never built."""
    head, _, rest = custom_id.partition(":")
    if head == _JOBCARD:
        card, item, code = rest.split(":") if rest.count(":") == 2 else ("", "", "")
        answers = {code: answer for answer, code in _ANSWER_CODES.items()}
        if code not in answers:
            raise ValueError(f"not a job-card button: {custom_id!r}")
        return JobCardItemClick(UUID(card), UUID(item), answers[code])
    if head == _CHECKIN and rest:
        return CheckinClick(date.fromisoformat(rest))
    if head == _MEAL and not rest:
        return MealClick()
    raise ValueError(f"unknown button: {custom_id!r}")
