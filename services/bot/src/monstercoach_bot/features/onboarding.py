"""``/start`` (time zone and goal → ``client.onboarded``) and ``/help``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from discord import app_commands
from discord.ext import commands

from monstercoach_schemas.domain import ClientStatus, Goal
from monstercoach_schemas.types import uuid7

from .. import events
from ..records import client_by_discord_id
from ..validation import resolve_time_zone, zone_choices
from .common import GOALS, Interaction, is_coach, reply, services

if TYPE_CHECKING:
    from ..gateway import CoachBot

CLIENT_HELP = """**MonsterCoach** — here's what you can do:
• **/checkin** — weight, sleep, energy and notes (takes 30 seconds)
• **/meal** — log what you ate, with an optional photo
• **/jobcard** — today's job card; tap ✅ as you go
• **/week** — your last 7 days at a glance
• **/start** — change your time zone or goal
Anything else? Just write to me here — your coach reads every message."""

COACH_HELP = """
**Coach commands**
• **/roster** — everyone's status today
• **/flags** — open flags, most urgent first
• **/nudge** — DM a client (also how you answer a relayed message)
• **/client add** — add a client (pause or archive one in Battle Station for now)"""


def welcome(name: str, time_zone: str, goal: Goal, again: bool, paused: bool = False) -> str:
    first = name.split()[0] if name.split() else name
    head = (
        f"Updated ✅ Time zone **{time_zone}**, goal **{GOALS[goal]}**."
        if again
        else f"Welcome aboard, {first}! 💪 Time zone **{time_zone}**, goal **{GOALS[goal]}**."
    )
    if paused:
        return f"{head}\nYour coaching is paused, though — message me to ask your coach to resume."
    return (
        f"{head}\nYour job card lands every morning at 07:00 your time, and I'll remind you "
        "to check in. Try **/checkin** now, or **/help** for everything I can do."
    )


class Onboarding(commands.Cog):
    @app_commands.command(name="start", description="Set your time zone and goal to get going")
    @app_commands.describe(
        time_zone="Your time zone — start typing your city", goal="What you're working towards"
    )
    @app_commands.choices(
        goal=[app_commands.Choice(name=label, value=goal.value) for goal, label in GOALS.items()]
    )
    async def start(self, interaction: Interaction, time_zone: str, goal: str) -> None:
        try:
            zone = resolve_time_zone(time_zone)
        except ValueError as exc:
            await reply(interaction, f"{exc}\nNothing was changed — send /start again.")
            return
        deps = services(interaction)
        user = interaction.user
        known = await client_by_discord_id(deps.pool, str(user.id))
        # A Discord user keeps the id they were first given (the api keys on the user).
        client_id = known.id if known is not None else uuid7()
        name = (user.global_name or user.name).strip() or user.name
        await deps.bus.publish(
            events.onboarded(
                interaction.id, client_id, str(user.id), name, zone, Goal(goal), deps.clock()
            )
        )
        again = known is not None and known.status is not ClientStatus.ARCHIVED
        # Onboarding again never lifts a coach's pause (the api keeps it).
        paused = known is not None and known.status is ClientStatus.PAUSED
        await reply(interaction, welcome(name, zone, Goal(goal), again, paused))

    @start.autocomplete("time_zone")
    async def time_zone_choices(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [
            app_commands.Choice(name=label, value=zone)
            for label, zone in zone_choices(current, services(interaction).clock())
        ]

    @app_commands.command(name="help", description="What I can do for you")
    async def help(self, interaction: Interaction) -> None:
        await reply(interaction, CLIENT_HELP + (COACH_HELP if is_coach(interaction) else ""))


async def setup(bot: CoachBot) -> None:
    await bot.add_cog(Onboarding())
