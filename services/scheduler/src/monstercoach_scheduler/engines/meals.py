"""The meals engine's logic: the lunch and dinner reminders a client receives.

Its triggers are declared in :mod:`monstercoach_schemas.lst.meals`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from monstercoach_schemas.buttons import meal_button
from monstercoach_schemas.domain import DeliveryKind
from monstercoach_schemas.lst.meals import DINNER_REMINDER, LUNCH_REMINDER
from monstercoach_schemas.messages import Envelope

from .base import Compose, FireContext


def _reminder(meal: str) -> Compose:
    def compose(ctx: FireContext) -> Sequence[Envelope[Any]]:
        text = f"{meal.title()} time, {ctx.who.first_name} 🍽️ Log what you eat — it takes a tap."
        return [ctx.delivery(DeliveryKind.MEAL_REMINDER, text, [meal_button()])]

    return compose


COMPOSERS: dict[str, Compose] = {
    LUNCH_REMINDER.trigger: _reminder("lunch"),
    DINNER_REMINDER.trigger: _reminder("dinner"),
}
