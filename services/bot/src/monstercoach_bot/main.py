"""The Discord bot: client DMs, buttons and modals, coach commands, outbound delivery.

Entry point ``monstercoach-bot``. Today it runs outbound delivery: it consumes the
``deliveries`` stream and sends through Discord's REST API (no gateway needed), or
records ``dry_run`` outcomes when ``DISCORD_TOKEN`` is not set.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta

from monstercoach_kit.bus import Consumer
from monstercoach_kit.log import get_logger
from monstercoach_kit.runner import run_service
from monstercoach_kit.runtime import Runtime, open_runtime
from monstercoach_kit.settings import KitSettings

from .delivery import Deliverer, DeliveryRecords, Sender, consumer_config
from .discord_rest import open_discord
from .settings import BotSettings, check_startup

log = get_logger(__name__)


@contextlib.asynccontextmanager
async def open_sender(settings: BotSettings, runtime: Runtime) -> AsyncIterator[Sender | None]:
    """Discord's REST client, or ``None`` (dry-run) without a token."""
    if settings.dry_run:
        log.warning("no DISCORD_TOKEN: deliveries are recorded, never sent", status="dry_run")
        yield None
        return
    async with open_discord(settings, runtime.redis, runtime.settings.key_prefix) as sender:
        yield sender


async def run_deliveries(runtime: Runtime, settings: BotSettings, stop: asyncio.Event) -> None:
    async with open_sender(settings, runtime) as sender:
        records = DeliveryRecords(
            runtime.redis,
            runtime.settings.key_prefix,
            timedelta(days=settings.delivery_record_days),
        )
        deliverer = Deliverer(runtime.bus, records, sender, settings)
        await Consumer(runtime.bus, consumer_config(settings), deliverer).run(stop)


async def run(stop: asyncio.Event) -> None:
    kit, settings = KitSettings(), BotSettings()
    check_startup(settings, kit)
    async with open_runtime("bot", kit) as runtime:
        await run_deliveries(runtime, settings, stop)


def main() -> None:
    run_service("bot", run)
