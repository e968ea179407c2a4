"""The Discord bot: client DMs, buttons and modals, coach commands, outbound delivery.

Entry point ``monstercoach-bot``.
"""

from __future__ import annotations

import asyncio

from monstercoach_kit.runner import run_service
from monstercoach_kit.runtime import open_runtime

SERVICE = "bot"


async def run(stop: asyncio.Event) -> None:
    async with open_runtime(SERVICE):
        await stop.wait()


def main() -> None:
    run_service(SERVICE, run)
