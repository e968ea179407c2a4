"""The weekly scan: review every client's week and raise flags for the coach.

Runs on the coach's clock (Sunday evening, before the coach plans the next week), not
per client: the flag worker scans the whole roster in one set-based pass.
"""

from __future__ import annotations

from datetime import time

from ..domain import Weekday
from .base import CoachLocalTime, Emits, Engine, MissedPolicy, Trigger

ENGINE_ID = "weekly_scan"

SUNDAY_SCAN = Trigger(
    engine=ENGINE_ID,
    trigger="sunday_scan",
    when=CoachLocalTime(time(18, 0), (Weekday.SUN,)),
    emits=Emits("scan.requested"),
    deadline=None,
    missed_policy=MissedPolicy.NONE,
    description="Ask the flag worker to scan the week just ending and flag clients.",
)

ENGINE = Engine(
    id=ENGINE_ID,
    description="Weekly roster scan that feeds the coach's flags.",
    triggers=(SUNDAY_SCAN,),
)
