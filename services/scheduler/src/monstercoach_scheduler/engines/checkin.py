"""The check-in engine's logic: the morning prompt a client receives.

Its trigger (07:30, answered by noon) is declared in :mod:`monstercoach_schemas.lst.checkin`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from monstercoach_schemas.buttons import checkin_button
from monstercoach_schemas.domain import DeliveryKind
from monstercoach_schemas.lst.checkin import DEADLINE, MORNING_PROMPT
from monstercoach_schemas.messages import Envelope

from .base import Compose, FireContext


def compose_prompt(ctx: FireContext) -> Sequence[Envelope[Any]]:
    text = (
        f"Morning {ctx.who.first_name}! ☀️ Time to check in: weight, sleep, energy and a "
        f"quick note. Tap below — open until {DEADLINE:%H:%M}."
    )
    return [ctx.delivery(DeliveryKind.CHECKIN_PROMPT, text, [checkin_button(ctx.local_date)])]


COMPOSERS: dict[str, Compose] = {MORNING_PROMPT.trigger: compose_prompt}
