"""Free-text DMs: a client's message becomes ``dm.received`` and is relayed to each coach.

The client sees a 📨 reaction once it is on its way. Coaches answer with ``/nudge``
(or from Battle Station). Paused and archived clients are relayed too: a message is
often how someone asks to come back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from monstercoach_kit.log import get_logger
from monstercoach_schemas.domain import ClientStatus

from .. import events
from ..records import client_by_discord_id
from ..validation import MESSAGE_MAX
from .common import NOT_ONBOARDED, UNAVAILABLE_ERRORS

if TYPE_CHECKING:
    from ..gateway import CoachBot

log = get_logger(__name__)

RELAYED = "📨"
COACH_HINT = "Hi coach 👋 To write to a client, use **/nudge** (their replies reach you here)."
NOT_RELAYED = "I couldn't pass that on just now 😕 — please send it again in a minute."


def dm_text(content: str, attachment_urls: Sequence[str]) -> str:
    """What was written, with any attachments as links, within Discord's 2,000 characters
    (Nitro users may send 4,000)."""
    text = "\n".join([content.strip(), *attachment_urls]).strip()
    return text if len(text) <= MESSAGE_MAX else text[: MESSAGE_MAX - 1] + "…"


class DirectMessages(commands.Cog):
    def __init__(self, bot: CoachBot) -> None:
        self.bot = bot

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot or not isinstance(message.channel, discord.DMChannel):
            return
        text = dm_text(message.content, [a.url for a in message.attachments])
        if not text:
            return
        try:
            await self.relay(message, text)
        except UNAVAILABLE_ERRORS as exc:
            log.error("dm not relayed", status="unavailable", error=repr(exc))
            await message.channel.send(NOT_RELAYED)

    async def relay(self, message: discord.Message, text: str) -> None:
        deps = self.bot.services
        sender = str(message.author.id)
        client = await client_by_discord_id(deps.pool, sender)
        if client is None or client.status is ClientStatus.ONBOARDING:
            await message.channel.send(
                COACH_HINT if deps.settings.is_coach(sender) else NOT_ONBOARDED
            )
            return
        at = message.created_at
        await deps.bus.publish_many(
            [
                events.dm_received(message.id, client.id, text, at),
                *(
                    events.coach_relay(message.id, client, coach, text)
                    for coach in sorted(deps.settings.coach_discord_ids)
                ),
            ]
        )
        log.info(
            "dm relayed",
            status="relayed",
            client_id=str(client.id),
            coaches=len(deps.settings.coach_discord_ids),
        )
        await message.add_reaction(RELAYED)


async def setup(bot: CoachBot) -> None:
    await bot.add_cog(DirectMessages(bot))
