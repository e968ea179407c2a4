"""The morning check-in: ask each client for weight, sleep, energy and notes.

Asked early enough to catch the morning weigh-in, answered by noon: after that the
numbers are a guess, so an unanswered prompt becomes missed and the coach sees it.
"""

from __future__ import annotations

from datetime import time

from ..domain import DeliveryKind
from .base import DELIVERY_REQUESTED, ClientLocalTime, Emits, Engine, MissedPolicy, Trigger

ENGINE_ID = "checkin"
DEADLINE = time(12, 0)

MORNING_PROMPT = Trigger(
    engine=ENGINE_ID,
    trigger="morning_prompt",
    when=ClientLocalTime(time(7, 30)),
    emits=Emits(DELIVERY_REQUESTED, DeliveryKind.CHECKIN_PROMPT),
    deadline=DEADLINE,
    missed_policy=MissedPolicy.MARK_MISSED,
    description="DM the check-in prompt (weight, sleep, energy, notes); unanswered by noon "
    "it is missed. A check-in sent before the prompt answers it: no prompt that day.",
    answered_by="checkin.answered",
)

ENGINE = Engine(
    id=ENGINE_ID,
    description="Daily morning check-in.",
    triggers=(MORNING_PROMPT,),
)
