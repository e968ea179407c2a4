"""The Discord bot: client DMs, buttons and modals, coach commands, outbound delivery.

Entry point ``monstercoach-bot``. Two parts run side by side:

* outbound delivery: consumes the ``deliveries`` stream and sends through Discord's REST
  API, or records ``dry_run`` outcomes when ``DISCORD_TOKEN`` is not set;
* with a token, the gateway client (``gateway.py``): app commands, persistent buttons,
  modals and DM relay, reading PostgreSQL and publishing events.

Either part failing for good stops the service (the supervisor restarts it).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta

from monstercoach_kit.bus import Consumer
from monstercoach_kit.db import create_pool
from monstercoach_kit.log import get_logger
from monstercoach_kit.runner import run_service
from monstercoach_kit.runtime import Runtime, open_runtime
from monstercoach_kit.settings import KitSettings

from .delivery import Deliverer, DeliveryRecords, Sender, consumer_config
from .discord_rest import open_discord
from .features.common import Services
from .gateway import GatewayRefused, run_gateway
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


async def run_interactions(runtime: Runtime, settings: BotSettings, stop: asyncio.Event) -> None:
    # min_size=0: start-up never waits on PostgreSQL; a handler that finds it down says so.
    pool = await create_pool(runtime.settings, min_size=0)
    try:
        services = Services(
            settings=settings,
            bus=runtime.bus,
            pool=pool,
            redis=runtime.redis,
            key_prefix=runtime.settings.key_prefix,
        )
        await run_gateway(services, stop)
    finally:
        await pool.close()


async def run(stop: asyncio.Event) -> None:
    kit, settings = KitSettings(), BotSettings()
    check_startup(settings, kit)
    async with open_runtime("bot", kit) as runtime:
        if settings.dry_run:
            log.warning("no DISCORD_TOKEN: no gateway, so no commands, buttons or DM relay")
            await run_deliveries(runtime, settings, stop)
            return
        try:
            async with asyncio.TaskGroup() as parts:
                parts.create_task(run_deliveries(runtime, settings, stop), name="bot-deliveries")
                parts.create_task(
                    run_interactions(runtime, settings, stop), name="bot-interactions"
                )
        except ExceptionGroup as failed:
            # Say the one thing to fix (the delivery part may fail on the same bad token).
            refused = [e for e in failed.exceptions if isinstance(e, GatewayRefused)]
            if refused or len(failed.exceptions) == 1:
                raise (refused or failed.exceptions)[0] from None
            raise


def main() -> None:
    run_service("bot", run)
