"""The weekly scan engine's logic: ask the flag worker to scan the week just ending.

Its trigger (Sunday 18:00, coach time) is declared in
:mod:`monstercoach_schemas.lst.weekly_scan`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from monstercoach_schemas.lst.weekly_scan import SUNDAY_SCAN
from monstercoach_schemas.messages import Envelope, ScanRequested, ScanRequestedPayload

from .base import Compose, FireContext


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


COMPOSERS: dict[str, Compose] = {SUNDAY_SCAN.trigger: compose_scan}
