"""The gateway client: app commands, persistent buttons, modals and DMs.

One ``commands.Bot`` whose ``setup_hook`` loads an explicit tuple of extensions, one per
feature. Buttons are ``DynamicItem`` classes registered at start-up, matched on the
custom-id contract, and modals are routed by their custom id, so every button and form
works after a restart: the bot holds no state between interactions. Commands are global
and usable in the bot's DMs (coach commands in servers too, answered ephemerally).

Intents: guilds and DMs, nothing privileged. A DM to the bot carries its text without the privileged
message-content intent, and asking for that intent without the Developer Portal toggle
makes Discord close the gateway (4014); ``BOT_MESSAGE_CONTENT_INTENT`` asks for it.

The gateway client does not go through the delivery limiter: interaction callbacks are
outside Discord's global limit and must answer within 3 s, which a queue of deliveries
waiting for their slots could not promise. Its other calls (an edit, a reaction, the
start-up sync) are few, and the limiter runs below 50/s to leave them room.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands
from discord.gateway import DiscordWebSocket
from discord.http import Route

from monstercoach_kit.log import get_logger

from .features.common import NOT_A_COACH, Interaction, NotCoach, Services, apologise, reply
from .features.forms import ModalHandler, modal_route, submitted_values
from .settings import BotSettings

log = get_logger(__name__)

EXTENSIONS = (
    "monstercoach_bot.features.onboarding",
    "monstercoach_bot.features.checkin",
    "monstercoach_bot.features.meals",
    "monstercoach_bot.features.jobcard",
    "monstercoach_bot.features.week",
    "monstercoach_bot.features.coach",
    "monstercoach_bot.features.dm",
)


def gateway_intents(settings: BotSettings) -> discord.Intents:
    intents = discord.Intents.none()
    intents.guilds = True  # discord.py's channel state for coach commands in a server
    intents.dm_messages = True
    intents.message_content = settings.message_content_intent
    return intents


def aim_at_discord(settings: BotSettings) -> None:
    """discord.py builds REST URLs from ``Route.BASE`` and connects to
    ``DEFAULT_GATEWAY``: class attributes, the only way to aim it at the simulator."""
    Route.BASE = settings.discord_api_base.rstrip("/")
    # A yarl.URL, built through its own type: yarl is discord.py's dependency, not ours.
    url_type = type(DiscordWebSocket.DEFAULT_GATEWAY)
    DiscordWebSocket.DEFAULT_GATEWAY = url_type(settings.discord_gateway_url)


class CoachBot(commands.Bot):
    def __init__(self, services: Services) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            intents=gateway_intents(services.settings),
            # Client commands live in the bot's DMs; coach commands widen this themselves.
            allowed_contexts=app_commands.AppCommandContext(
                guild=False, dm_channel=True, private_channel=False
            ),
            allowed_installs=app_commands.AppInstallationType(guild=True, user=False),
            max_messages=None,
            chunk_guilds_at_startup=False,
        )
        self.services = services
        self.modal_handlers: dict[str, ModalHandler] = {}
        self.tree.on_error = self.on_app_command_error  # type: ignore[method-assign]

    async def setup_hook(self) -> None:
        for extension in EXTENSIONS:
            await self.load_extension(extension)

    async def on_message(self, message: discord.Message, /) -> None:
        """No prefix commands: a DM is for ``features.dm``'s listener only (the default
        would look each one up as a command and log "command not found")."""

    async def on_interaction(self, interaction: Interaction) -> None:
        """Modal submissions, whatever discord.py remembers (see ``features.forms``)."""
        if interaction.type is not discord.InteractionType.modal_submit:
            return
        data: dict[str, Any] = dict(interaction.data or {})
        route = modal_route(str(data.get("custom_id", "")))
        handler = None if route is None else self.modal_handlers.get(route[0])
        if route is None or handler is None:
            log.warning("modal submit nobody handles", custom_id=data.get("custom_id"))
            return
        try:
            await handler(interaction, route[1], submitted_values(data.get("components", [])))
        except Exception as exc:  # every failure gets an answer
            await apologise(interaction, exc)

    async def on_app_command_error(
        self, interaction: Interaction, error: app_commands.AppCommandError
    ) -> None:
        if isinstance(error, NotCoach):
            with contextlib.suppress(discord.HTTPException):
                await reply(interaction, NOT_A_COACH)
            return
        await apologise(interaction, getattr(error, "original", error))


async def sync_commands(bot: CoachBot) -> list[app_commands.AppCommand]:
    """Publish the global commands (Discord keeps them until the next sync)."""
    synced = await bot.tree.sync()
    log.info("app commands synced", status="ok", commands=sorted(c.name for c in synced))
    return synced


DISALLOWED_INTENT = (
    "Discord refused the gateway's intents: BOT_MESSAGE_CONTENT_INTENT=true asks for the "
    "privileged Message Content intent, which this application does not have. Turn it on "
    "in the Developer Portal (Bot → Privileged Gateway Intents) or unset the variable."
)
LOGIN_REFUSED = "Discord refused DISCORD_TOKEN: check the bot token (Developer Portal → Bot)."


class GatewayRefused(RuntimeError):
    """Discord refuses this configuration; retrying cannot help (the message says why)."""


async def run_gateway(services: Services, stop: asyncio.Event) -> None:
    """Log in, sync the commands, listen until ``stop``. A configuration Discord refuses
    (the token, an intent) stops the service with a message saying what to fix."""
    try:
        await _run_gateway(services, stop)
    except discord.PrivilegedIntentsRequired:
        log.error(DISALLOWED_INTENT, status="refused")
        raise GatewayRefused(DISALLOWED_INTENT) from None
    except discord.LoginFailure:
        log.error(LOGIN_REFUSED, status="refused")
        raise GatewayRefused(LOGIN_REFUSED) from None


async def _run_gateway(services: Services, stop: asyncio.Event) -> None:
    settings = services.settings
    assert settings.discord_token is not None  # main runs the gateway only with a token
    aim_at_discord(settings)
    async with CoachBot(services) as bot:
        await bot.login(settings.discord_token.get_secret_value())
        try:
            await sync_commands(bot)
        except (discord.DiscordServerError, OSError) as exc:
            # The commands of the last sync stay registered; the next start syncs again.
            log.warning("app commands not synced", status="degraded", error=repr(exc))
        listening = asyncio.create_task(bot.connect(reconnect=True), name="bot-gateway")
        stopping = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait({listening, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if listening in done:
            listening.result()  # a fatal error surfaces here
            return
        await bot.close()
        with contextlib.suppress(asyncio.CancelledError):
            await listening
