"""The job card: today's to-do items, issued in the morning and closed out at night.

Two triggers so a day has a clear start and end: the card is sent at 07:00, and at
23:30 whatever the client neither did nor skipped becomes missed, so completion rates
never count a silent item as still open.
"""

from __future__ import annotations

from datetime import time

from ..domain import DeliveryKind
from .base import DELIVERY_REQUESTED, ClientLocalTime, Emits, Engine, MissedPolicy, Trigger

ENGINE_ID = "jobcard"

MORNING_CARD = Trigger(
    engine=ENGINE_ID,
    trigger="morning_card",
    when=ClientLocalTime(time(7, 0)),
    emits=Emits(DELIVERY_REQUESTED, DeliveryKind.JOBCARD),
    # Items are answered one by one until the close-out; the card itself has no deadline.
    deadline=None,
    missed_policy=MissedPolicy.NONE,
    description="DM today's job card with a Done/Skip button per item.",
)

CLOSE_OUT = Trigger(
    engine=ENGINE_ID,
    trigger="close_out",
    when=ClientLocalTime(time(23, 30)),
    emits=Emits(DELIVERY_REQUESTED, DeliveryKind.JOBCARD_CLOSEOUT),
    deadline=None,
    missed_policy=MissedPolicy.CLOSE_OUT_ITEMS,
    description="End of day: items still pending become missed; DM a short good-night.",
)

ENGINE = Engine(
    id=ENGINE_ID,
    description="Daily job card and its end-of-day close-out.",
    triggers=(MORNING_CARD, CLOSE_OUT),
)
