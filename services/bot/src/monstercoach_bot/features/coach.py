"""Coach commands: ``/roster``, ``/flags``, ``/nudge``, ``/client add|pause|archive``.

Only Discord users in ``COACH_DISCORD_IDS`` may use them (the allowlist the api uses for
Battle Station); anyone else gets a polite refusal, and the client pickers show them
nothing. Coaches' answers are ephemeral, so the commands are safe in a server channel.
The bot writes no table: a nudge is a ``delivery.requested``, adding a client is a
``client.onboarded`` the api records.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from uuid import UUID

import discord
from discord import app_commands
from discord.ext import commands

from monstercoach_schemas.domain import NOT_REACHABLE, ClientStatus, Goal
from monstercoach_schemas.types import uuid7

from .. import events
from ..records import ClientRecord, client_by_discord_id, client_by_id, find_clients, open_flags
from ..records import roster_page as read_roster_page
from ..summaries import flags_text, pages, roster_text
from ..validation import FormError, parse_message, resolve_time_zone, zone_choices
from .common import (
    GOALS,
    NOT_A_COACH,
    AnyInteraction,
    Interaction,
    NotCoach,
    Services,
    answering,
    is_coach,
    reply,
    services,
)

if TYPE_CHECKING:
    from ..gateway import CoachBot

PER_PAGE = 10
FLAGS_SHOWN = 15
NUDGE_ROOM = 2000 - len(events.NUDGE_PREFIX)


# --- picking a client ------------------------------------------------------------------------


def pick_client(typed: str, candidates: Sequence[ClientRecord]) -> ClientRecord | None:
    """The client ``typed`` names among ``candidates`` (whose names contain it): the one
    with exactly that name, else the only candidate; ``None`` when it is ambiguous."""
    exact = [c for c in candidates if c.display_name.casefold() == typed.strip().casefold()]
    if len(exact) == 1:
        return exact[0]
    return candidates[0] if len(candidates) == 1 else None


async def resolve_client(deps: Services, value: str) -> ClientRecord | str:
    """The client a picker value stands for (an id from the autocomplete, or a typed
    name), or what to tell the coach."""
    try:
        found = await client_by_id(deps.pool, UUID(value))
    except ValueError:
        found = pick_client(value, await find_clients(deps.pool, value, limit=10, archived=True))
    if found is None:
        return f'I can\'t find one client called "{value[:80]}" — pick a name from the list.'
    return found


async def client_options(interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
    """The client picker: names containing what was typed; nothing for a non-coach."""
    if not is_coach(interaction):
        return []
    found = await find_clients(services(interaction).pool, current, limit=25)
    return [
        app_commands.Choice(
            name=c.display_name
            + ("" if c.status is ClientStatus.ACTIVE else f" ({c.status.value})"),
            value=str(c.id),
        )
        for c in found
    ]


# --- the roster, a page at a time --------------------------------------------------------------


class RosterPageButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=re.compile(r"mc:roster:(?P<page>\d{1,4}):(?P<direction>[pn])"),
):
    """◀ / ▶ under the roster: the page to show is in the custom id."""

    def __init__(self, page: int, direction: str, *, disabled: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                custom_id=f"mc:roster:{page}:{direction}",
                label="◀ Previous" if direction == "p" else "Next ▶",
                style=discord.ButtonStyle.secondary,
                disabled=disabled,
            )
        )
        self.page = page

    @classmethod
    async def from_custom_id(
        cls, interaction: AnyInteraction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> RosterPageButton:
        return cls(int(match["page"]), match["direction"])

    async def callback(self, interaction: AnyInteraction) -> None:
        async with answering(interaction):
            if not is_coach(interaction):
                await reply(interaction, NOT_A_COACH)
                return
            text, view = await roster_message(services(interaction), self.page)
            await interaction.response.edit_message(content=text, view=view)


async def roster_message(deps: Services, page: int) -> tuple[str, discord.ui.View | None]:
    now = deps.clock()
    lines, total = await read_roster_page(deps.pool, now, page, PER_PAGE)
    last = pages(total, PER_PAGE) - 1
    if page > last:  # the roster shrank since that button was drawn
        page = last
        lines, total = await read_roster_page(deps.pool, now, page, PER_PAGE)
    text = roster_text(lines, page, PER_PAGE, total, now)
    if last == 0:
        return text, None
    view = discord.ui.View(timeout=None)
    view.add_item(RosterPageButton(max(page - 1, 0), "p", disabled=page == 0))
    view.add_item(RosterPageButton(min(page + 1, last), "n", disabled=page == last))
    return text, view


# --- the commands ------------------------------------------------------------------------------

WELCOME = (
    "welcome to MonsterCoach! 💪 I'm the bot your coach uses. Your job card lands every "
    "morning at 07:00 your time; send **/help** to see everything, or just write here to "
    "reach your coach."
)

STATUS_DONE = {
    ClientStatus.PAUSED: "Paused **{name}** ⏸️ No DMs reach them, scheduled or from /nudge, "
    "until you re-activate them in Battle Station.",
    ClientStatus.ARCHIVED: "Archived **{name}** 🗄️ They get nothing more; their history stays "
    "in Battle Station.",
}


class Coach(commands.Cog):
    client = app_commands.Group(
        name="client",
        description="Manage the roster (coaches only)",
        allowed_contexts=app_commands.AppCommandContext(guild=True, dm_channel=True),
    )

    async def interaction_check(self, interaction: AnyInteraction, /) -> bool:
        if not is_coach(interaction):
            raise NotCoach(NOT_A_COACH)
        return True

    @app_commands.command(name="roster", description="Everyone's status today (coaches only)")
    @app_commands.allowed_contexts(guilds=True, dms=True)
    async def roster(self, interaction: Interaction) -> None:
        text, view = await roster_message(services(interaction), 0)
        await reply(interaction, text, view=view)

    @app_commands.command(name="flags", description="Open flags, most urgent first (coaches)")
    @app_commands.allowed_contexts(guilds=True, dms=True)
    async def flags(self, interaction: Interaction) -> None:
        found, total = await open_flags(services(interaction).pool, FLAGS_SHOWN)
        await reply(interaction, flags_text(found, total))

    @app_commands.command(name="nudge", description="DM a client (coaches only)")
    @app_commands.allowed_contexts(guilds=True, dms=True)
    @app_commands.describe(client="Start typing a name", message="What to send them")
    @app_commands.autocomplete(client=client_options)
    async def nudge(
        self,
        interaction: Interaction,
        client: str,
        message: app_commands.Range[str, 1, NUDGE_ROOM],
    ) -> None:
        deps = services(interaction)
        found = await resolve_client(deps, client)
        if isinstance(found, str):
            await reply(interaction, found)
            return
        if found.status in NOT_REACHABLE:
            await reply(
                interaction,
                f"{found.display_name} is {found.status.value}, so I won't message them: "
                "re-activate them in Battle Station first.",
            )
            return
        try:
            text = parse_message(message, NUDGE_ROOM)
        except FormError as exc:
            await reply(interaction, exc.message("nothing was sent."))
            return
        await deps.bus.publish(events.nudge(interaction.id, found.id, found.discord_user_id, text))
        await reply(interaction, f"Sending to **{found.display_name}** now ✅")

    @client.command(name="add", description="Add someone as a client (coaches only)")
    @app_commands.describe(
        user="Their Discord account", time_zone="Their time zone — type a city", goal="Their goal"
    )
    @app_commands.choices(
        goal=[app_commands.Choice(name=label, value=goal.value) for goal, label in GOALS.items()]
    )
    async def client_add(
        self, interaction: Interaction, user: discord.User, time_zone: str, goal: str
    ) -> None:
        if user.bot:
            await reply(interaction, "That's a bot account — clients are people 🙂")
            return
        try:
            zone = resolve_time_zone(time_zone)
        except ValueError as exc:
            await reply(interaction, f"{exc}\nNobody was added.")
            return
        deps = services(interaction)
        known = await client_by_discord_id(deps.pool, str(user.id))
        if known is not None and known.status is not ClientStatus.ARCHIVED:
            await reply(
                interaction, f"**{known.display_name}** is already a client ({known.status.value})."
            )
            return
        name = (user.global_name or user.name).strip() or user.name
        client_id = known.id if known is not None else uuid7()
        now = deps.clock()
        onboarded = events.onboarded(
            interaction.id, client_id, str(user.id), name, zone, Goal(goal), now
        )
        # The welcome is a coach's message, sent on the coach's behalf. It names no client:
        # the api may record the delivery before the client (they travel on different
        # streams), and a delivery naming an unknown client would be refused.
        welcome = events.nudge(interaction.id, None, str(user.id), WELCOME)
        await deps.bus.publish_many([onboarded, welcome])
        await reply(
            interaction,
            f"Added **{name}** ✅ ({zone}, {GOALS[Goal(goal)]}). I've sent them a welcome DM.",
        )

    @client_add.autocomplete("time_zone")
    async def add_zone_choices(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        if not is_coach(interaction):
            return []
        return [
            app_commands.Choice(name=label, value=zone)
            for label, zone in zone_choices(current, services(interaction).clock())
        ]

    @client.command(name="pause", description="Pause a client's coaching (coaches only)")
    @app_commands.autocomplete(client=client_options)
    async def client_pause(self, interaction: Interaction, client: str) -> None:
        await self._status_change(interaction, client, ClientStatus.PAUSED)

    @client.command(name="archive", description="Archive a client (coaches only)")
    @app_commands.autocomplete(client=client_options)
    async def client_archive(self, interaction: Interaction, client: str) -> None:
        await self._status_change(interaction, client, ClientStatus.ARCHIVED)

    async def _status_change(
        self, interaction: Interaction, client: str, status: ClientStatus
    ) -> None:
        deps = services(interaction)
        found = await resolve_client(deps, client)
        if isinstance(found, str):
            await reply(interaction, found)
            return
        if found.status is status:
            await reply(interaction, f"**{found.display_name}** is already {status.value}.")
            return
        # Published before the answer: the bot never says "done" about a change it lost.
        await deps.bus.publish(
            events.status_changed(
                interaction.id, found.id, status, str(interaction.user.id), deps.clock()
            )
        )
        await reply(interaction, STATUS_DONE[status].format(name=found.display_name))


async def setup(bot: CoachBot) -> None:
    bot.add_dynamic_items(RosterPageButton)
    await bot.add_cog(Coach())
