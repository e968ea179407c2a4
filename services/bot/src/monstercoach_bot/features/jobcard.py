"""``/jobcard`` and the job card's Done/Skip buttons → ``jobcard.item_marked``, in place.

Buttons are answered wherever they are: on the morning card the scheduler sent, or on
a card ``/jobcard`` showed, before or after a restart. Each click is checked against
the card the api recorded (whose card, which day, closed out or not), published, and
the message is re-rendered in place with the answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from monstercoach_schemas.buttons import JobCardItemClick, parse_custom_id

from .. import events
from ..cards import (
    ButtonState,
    card_buttons,
    card_text,
    click_refusal,
    current_card,
    day_label,
    shown_statuses,
    with_answer,
)
from ..records import Card, card_by_id, card_for_day
from ..render import STYLES
from .common import AnyInteraction, Interaction, active_client, answering, reply, services

if TYPE_CHECKING:
    from ..gateway import CoachBot

ROWS = 5
"""Discord's rows per message: a card of up to five items gets a row per item."""

_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


class JobCardButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=re.compile(rf"jc:{_UUID}:{_UUID}:[ds]"),
):
    """One Done or Skip button of a job card (``jc:<card>:<item>:d|s``)."""

    def __init__(self, state: ButtonState, row: int | None = None) -> None:
        super().__init__(
            discord.ui.Button(
                custom_id=state.custom_id,
                label=state.label,
                style=STYLES[state.style],
                disabled=state.disabled,
                row=row,
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: AnyInteraction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> JobCardButton:
        return cls(ButtonState(match.string, "", "secondary"))

    async def callback(self, interaction: AnyInteraction) -> None:
        async with answering(interaction):
            click = parse_custom_id(self.custom_id)
            assert isinstance(click, JobCardItemClick)  # the template admits nothing else
            await mark(interaction, click)


def message_buttons(message: discord.Message | None) -> Iterator[tuple[str, bool]]:
    """(custom id, disabled) of every button on the message the click came from."""
    for row in message.components if message is not None else []:
        for child in getattr(row, "children", [row]):
            if isinstance(child, discord.components.Button) and child.custom_id:
                yield child.custom_id, child.disabled


async def mark(interaction: Interaction, click: JobCardItemClick) -> None:
    client = await active_client(interaction)
    if client is None:
        return
    deps = services(interaction)
    now = deps.clock()
    recorded = await card_by_id(deps.pool, click.card_id)
    card = (
        None
        if recorded is None
        else current_card(recorded, shown_statuses(message_buttons(interaction.message)))
    )
    refusal = click_refusal(card, client.id, click, client.today(now))
    if refusal is not None:
        await reply(interaction, refusal)
        return
    assert card is not None  # click_refusal refuses a card it cannot find
    await deps.bus.publish(events.item_marked(interaction.id, client.id, click, now))
    answered = with_answer(card, click.item_id, click.answer)
    await interaction.response.edit_message(content=card_text(answered), view=card_view(answered))


def card_view(card: Card) -> discord.ui.View:
    """The card's buttons as dynamic items: discord.py then remembers only the template,
    never a view per message, however many cards are shown."""
    view = discord.ui.View(timeout=None)
    per_row = len(card.items) <= ROWS
    for index, state in enumerate(card_buttons(card)):
        view.add_item(JobCardButton(state, row=index // 2 if per_row else None))
    return view


class JobCard(commands.Cog):
    @app_commands.command(name="jobcard", description="Today's job card — tap ✅ as you go")
    async def jobcard(self, interaction: Interaction) -> None:
        client = await active_client(interaction)
        if client is None:
            return
        deps = services(interaction)
        today = client.today(deps.clock())
        card = await card_for_day(deps.pool, client.id, today)
        if card is None:
            await reply(
                interaction,
                f"No job card yet for {day_label(today)} — it lands at 07:00 your time. "
                "Meanwhile, **/checkin** or **/meal** any time.",
            )
            return
        await interaction.response.send_message(card_text(card), view=card_view(card))


async def setup(bot: CoachBot) -> None:
    bot.add_dynamic_items(JobCardButton)
    await bot.add_cog(JobCard())
