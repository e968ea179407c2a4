"""The flag worker: weekly compliance scan with rules and a DSPy program.

Entry point ``monstercoach-flagworker``.
"""

from __future__ import annotations

import asyncio

from monstercoach_kit.runner import run_service
from monstercoach_kit.runtime import open_runtime

SERVICE = "flagworker"


async def run(stop: asyncio.Event) -> None:
    async with open_runtime(SERVICE):
        await stop.wait()


def main() -> None:
    run_service(SERVICE, run)
