"""Meal reminders: a nudge at lunch and at dinner to log what was eaten.

A reminder asks for nothing specific (a meal may be logged any time with ``/meal``), so
there is no answer window and nothing becomes missed; the weekly metrics judge intake
from the meals actually logged.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import time
from typing import Any

from monstercoach_schemas.buttons import meal_button
from monstercoach_schemas.domain import DeliveryKind
from monstercoach_schemas.messages import Envelope

from .base import (
    DELIVERY_REQUESTED,
    ClientLocalTime,
    Compose,
    Emits,
    Engine,
    FireContext,
    MissedPolicy,
    Trigger,
)

ENGINE_ID = "meals"


def _reminder(meal: str) -> Compose:
    def compose(ctx: FireContext) -> Sequence[Envelope[Any]]:
        text = f"{meal.title()} time, {ctx.who.first_name} 🍽️ Log what you eat — it takes a tap."
        return [ctx.delivery(DeliveryKind.MEAL_REMINDER, text, [meal_button()])]

    return compose


LUNCH_REMINDER = Trigger(
    engine=ENGINE_ID,
    trigger="lunch_reminder",
    when=ClientLocalTime(time(12, 30)),
    emits=Emits(DELIVERY_REQUESTED, DeliveryKind.MEAL_REMINDER),
    deadline=None,
    missed_policy=MissedPolicy.NONE,
    description="DM a reminder to log lunch with `/meal`.",
    compose=_reminder("lunch"),
)

DINNER_REMINDER = Trigger(
    engine=ENGINE_ID,
    trigger="dinner_reminder",
    when=ClientLocalTime(time(19, 0)),
    emits=Emits(DELIVERY_REQUESTED, DeliveryKind.MEAL_REMINDER),
    deadline=None,
    missed_policy=MissedPolicy.NONE,
    description="DM a reminder to log dinner with `/meal`.",
    compose=_reminder("dinner"),
)

ENGINE = Engine(
    id=ENGINE_ID,
    description="Lunch and dinner logging reminders.",
    triggers=(LUNCH_REMINDER, DINNER_REMINDER),
)
