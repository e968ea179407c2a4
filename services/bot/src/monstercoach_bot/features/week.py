"""``/week``: the client's last 7 days at a glance (read-only)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from discord import app_commands
from discord.ext import commands

from ..records import client_by_discord_id, week_figures
from ..summaries import week_text
from .common import NOT_ONBOARDED, Interaction, reply, services

if TYPE_CHECKING:
    from ..gateway import CoachBot


class Week(commands.Cog):
    @app_commands.command(name="week", description="Your last 7 days at a glance")
    async def week(self, interaction: Interaction) -> None:
        deps = services(interaction)
        client = await client_by_discord_id(deps.pool, str(interaction.user.id))
        # Reading your own history is fine whatever the status; only logging needs active.
        if client is None:
            await reply(interaction, NOT_ONBOARDED)
            return
        figures = await week_figures(deps.pool, client.id, client.today(deps.clock()))
        await reply(interaction, week_text(client, figures))


async def setup(bot: CoachBot) -> None:
    await bot.add_cog(Week())
