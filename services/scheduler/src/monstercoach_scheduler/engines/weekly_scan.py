"""The weekly scan: review every client's week and raise flags for the coach.

Runs on the coach's clock (Sunday evening, before the coach plans the next week), not
per client: the flag worker scans the whole roster in one set-based pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import time
from typing import Any

from monstercoach_schemas.domain import Weekday
from monstercoach_schemas.messages import Envelope, ScanRequested, ScanRequestedPayload

from .base import CoachLocalTime, Emits, Engine, FireContext, MissedPolicy, Trigger

ENGINE_ID = "weekly_scan"


def compose_scan(ctx: FireContext) -> Sequence[Envelope[Any]]:
    # The ISO week that contains the coach's Sunday: the week just ending.
    year, week, _ = ctx.local_date.isocalendar()
    return [
        ScanRequested(
            idempotency_key=ctx.key("scan"),
            trace_id=ctx.trace_id,
            payload=ScanRequestedPayload(iso_week=f"{year}-W{week:02d}", requested_by="scheduler"),
        )
    ]


SUNDAY_SCAN = Trigger(
    engine=ENGINE_ID,
    trigger="sunday_scan",
    when=CoachLocalTime(time(18, 0), (Weekday.SUN,)),
    emits=Emits("scan.requested"),
    deadline=None,
    missed_policy=MissedPolicy.NONE,
    description="Ask the flag worker to scan the week just ending and flag clients.",
    compose=compose_scan,
)

ENGINE = Engine(
    id=ENGINE_ID,
    description="Weekly roster scan that feeds the coach's flags.",
    triggers=(SUNDAY_SCAN,),
)
