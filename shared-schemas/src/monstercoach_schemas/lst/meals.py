"""Meal reminders: a nudge at lunch and at dinner to log what was eaten.

A reminder asks for nothing specific (a meal may be logged any time with ``/meal``), so
there is no answer window and nothing becomes missed; the weekly metrics judge intake
from the meals actually logged.
"""

from __future__ import annotations

from datetime import time

from ..domain import DeliveryKind
from .base import DELIVERY_REQUESTED, ClientLocalTime, Emits, Engine, MissedPolicy, Trigger

ENGINE_ID = "meals"

LUNCH_REMINDER = Trigger(
    engine=ENGINE_ID,
    trigger="lunch_reminder",
    when=ClientLocalTime(time(12, 30)),
    emits=Emits(DELIVERY_REQUESTED, DeliveryKind.MEAL_REMINDER),
    deadline=None,
    missed_policy=MissedPolicy.NONE,
    description="DM a reminder to log lunch with `/meal`.",
)

DINNER_REMINDER = Trigger(
    engine=ENGINE_ID,
    trigger="dinner_reminder",
    when=ClientLocalTime(time(19, 0)),
    emits=Emits(DELIVERY_REQUESTED, DeliveryKind.MEAL_REMINDER),
    deadline=None,
    missed_policy=MissedPolicy.NONE,
    description="DM a reminder to log dinner with `/meal`.",
)

ENGINE = Engine(
    id=ENGINE_ID,
    description="Lunch and dinner logging reminders.",
    triggers=(LUNCH_REMINDER, DINNER_REMINDER),
)
