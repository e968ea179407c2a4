"""What every feature shares: the services, replies, the client gate, failures said kindly."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeAlias

import asyncpg
import discord
import redis.asyncio as aioredis
from discord import app_commands
from redis.exceptions import RedisError

from monstercoach_kit.bus import StreamBus
from monstercoach_kit.db import DATABASE_UNAVAILABLE
from monstercoach_kit.log import get_logger
from monstercoach_schemas.domain import ClientStatus, Goal

from ..records import ClientRecord, client_by_discord_id
from ..settings import BotSettings

if TYPE_CHECKING:
    from ..gateway import CoachBot

log = get_logger(__name__)

Interaction: TypeAlias = "discord.Interaction[CoachBot]"
AnyInteraction: TypeAlias = discord.Interaction[Any]
"""For overrides of discord.py's generic methods (an item's callback): Any is the bot."""

UNAVAILABLE_ERRORS: tuple[type[BaseException], ...] = (*DATABASE_UNAVAILABLE, RedisError)
"""PostgreSQL or Redis cannot be reached: worth saying so, not a bug."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    """What handlers use; the bot holds nothing else (no state a restart would lose)."""

    settings: BotSettings
    bus: StreamBus
    pool: asyncpg.Pool
    redis: aioredis.Redis
    key_prefix: str
    clock: Callable[[], datetime] = field(default=_utc_now)


def services(interaction: Interaction) -> Services:
    return interaction.client.services


async def reply(
    interaction: Interaction,
    text: str,
    *,
    view: discord.ui.View | None = None,
    ephemeral: bool = True,
) -> None:
    """Answer the interaction, or follow up if it was answered already."""
    kwargs: dict[str, Any] = {"ephemeral": ephemeral}
    if view is not None:
        kwargs["view"] = view
    if interaction.response.is_done():
        await interaction.followup.send(text, **kwargs)
    else:
        await interaction.response.send_message(text, **kwargs)


# --- who is asking -------------------------------------------------------------------------

NOT_ONBOARDED = (
    "I don't have you on my list yet 👋 Send **/start** to pick your time zone and goal — "
    "it takes 20 seconds. (Just did? Give me a few seconds, then try again.)"
)
PAUSED = (
    "Your coaching is paused right now, so I'm not logging anything. Want to pick it back "
    "up? Just send me a message — your coach will see it."
)
ARCHIVED = (
    "Your coaching has ended, so I'm not logging anything. Send **/start** to start again, "
    "or send me a message to reach your coach."
)
GOALS = {
    Goal.FAT_LOSS: "Lose fat",
    Goal.MUSCLE_GAIN: "Build muscle",
    Goal.RECOMP: "Recomp (lose fat, build muscle)",
    Goal.MAINTENANCE: "Maintain",
    Goal.PERFORMANCE: "Performance",
}
"""How each goal reads in a picker and a reply."""


class NotCoach(app_commands.CheckFailure):
    """A coach command from someone not on the allowlist.

    It lives here, not in ``features.coach``: discord.py loads an extension as a fresh
    module, so a class defined in one would not be the class the gateway catches.
    """


NOT_A_COACH = "Sorry — that one's for coaches only. Send **/help** to see what you can do here."


def client_refusal(client: ClientRecord | None) -> str | None:
    """Why this Discord user cannot log anything now (what to tell them), or ``None``."""
    if client is None or client.status is ClientStatus.ONBOARDING:
        return NOT_ONBOARDED
    if client.status is ClientStatus.PAUSED:
        return PAUSED
    if client.status is ClientStatus.ARCHIVED:
        return ARCHIVED
    return None


async def active_client(interaction: Interaction) -> ClientRecord | None:
    """The active client behind this interaction; anyone else is told what to do and
    ``None`` is returned."""
    client = await client_by_discord_id(services(interaction).pool, str(interaction.user.id))
    refusal = client_refusal(client)
    if refusal is not None:
        await reply(interaction, refusal)
        return None
    return client


def is_coach(interaction: Interaction) -> bool:
    return services(interaction).settings.is_coach(interaction.user.id)


# --- failures ------------------------------------------------------------------------------

UNAVAILABLE = (
    "I can't reach my records right now, so nothing was saved 😕 Please try again in a minute."
)
BROKEN = "Something went wrong on my side and nothing was saved. Please try again."


ALREADY_ACKNOWLEDGED = 40060
"""Another bot instance answered first (both get every interaction during a deploy)."""


async def apologise(interaction: Interaction, error: BaseException) -> None:
    """Tell the user their action failed (and log why); never raises."""
    if isinstance(error, discord.HTTPException) and error.code == ALREADY_ACKNOWLEDGED:
        log.info(
            "interaction answered by another instance",
            status="duplicate",
            interaction_id=str(interaction.id),
        )
        return
    unavailable = isinstance(error, UNAVAILABLE_ERRORS)
    log.error(
        "interaction failed",
        status="unavailable" if unavailable else "error",
        interaction_id=str(interaction.id),
        kind=interaction.type.name,
        error=repr(error),
        exc_info=None if unavailable else error,
    )
    try:
        await reply(interaction, UNAVAILABLE if unavailable else BROKEN)
    except Exception as exc:  # the apology is best effort: Discord may be the problem
        log.warning("apology not delivered", interaction_id=str(interaction.id), error=repr(exc))


@contextlib.asynccontextmanager
async def answering(interaction: Interaction) -> AsyncIterator[None]:
    """Around a component or modal handler (discord.py only logs their errors): any
    failure is told to the user instead of leaving them with "interaction failed"."""
    try:
        yield
    except Exception as exc:  # every failure gets an answer
        await apologise(interaction, exc)
