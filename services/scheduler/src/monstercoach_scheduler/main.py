"""The scheduler: engine ticks in each client's local time, deadlines, missed fires.

Entry point ``monstercoach-scheduler``.
"""

from __future__ import annotations

import asyncio

from monstercoach_kit.runner import run_service
from monstercoach_kit.runtime import open_runtime

SERVICE = "scheduler"


async def run(stop: asyncio.Event) -> None:
    async with open_runtime(SERVICE):
        await stop.wait()


def main() -> None:
    run_service(SERVICE, run)
