"""``/checkin``, the check-in prompt's button, and the check-in form → ``checkin.answered``."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from monstercoach_schemas.buttons import CheckinClick, parse_custom_id
from monstercoach_schemas.domain import WeightUnit

from .. import events
from ..cards import day_label
from ..validation import FormError, parse_checkin
from .common import AnyInteraction, Interaction, active_client, answering, reply, services
from .forms import modal, text_field

if TYPE_CHECKING:
    from ..gateway import CoachBot

ROUTE = "checkin"
LATE_ANSWER_DAYS = 1
"""A prompt's button still answers its own day this many days later (yesterday's
prompt, tapped after midnight); an older prompt answers today."""


def checkin_day(asked: date | None, today: date) -> date:
    """The day a check-in counts for, in the client's calendar."""
    if asked is None or asked > today or today - asked > timedelta(days=LATE_ANSWER_DAYS):
        return today
    return asked


def checkin_modal(day: date, unit: WeightUnit = WeightUnit.KG) -> discord.ui.Modal:
    form = modal(f"Check-in · {day_label(day)}", ROUTE, day.isoformat())
    form.add_item(
        text_field(
            "Weight",
            "weight",
            description="Skip it if you didn't weigh in today",
            placeholder="82.5",
            max_length=16,
        )
    )
    form.add_item(
        discord.ui.Label(
            text="Unit",
            component=discord.ui.Select(
                custom_id="unit",
                options=[
                    discord.SelectOption(label=u.value, value=u.value, default=u is unit)
                    for u in WeightUnit
                ],
                required=False,
            ),
        )
    )
    form.add_item(text_field("Sleep (hours)", "sleep", placeholder="7.5", max_length=10))
    form.add_item(text_field("Energy (1-10)", "energy", placeholder="7", max_length=5))
    form.add_item(
        text_field(
            "Notes",
            "notes",
            description="How did today go? Anything your coach should know?",
            max_length=2000,
            paragraph=True,
        )
    )
    return form


def confirmation(
    day: date, weight_kg: float | None, sleep: float | None, energy: int | None
) -> str:
    parts = []
    if weight_kg is not None:
        parts.append(f"{weight_kg:g} kg")
    if sleep is not None:
        parts.append(f"{sleep:g} h sleep")
    if energy is not None:
        parts.append(f"energy {energy}/10")
    summary = " · ".join(parts) or "notes only"
    return f"Checked in for {day_label(day)} ✅ {summary}. Thanks — your coach will see it."


async def submitted(interaction: Interaction, parts: list[str], values: dict[str, str]) -> None:
    """The check-in form came back: validate every field, then publish."""
    client = await active_client(interaction)
    if client is None:
        return
    deps = services(interaction)
    today = client.today(deps.clock())
    try:
        day = checkin_day(date.fromisoformat(parts[0]), today) if parts else today
    except ValueError:
        day = today
    try:
        form = parse_checkin(
            values.get("weight", ""),
            values.get("unit", ""),
            values.get("sleep", ""),
            values.get("energy", ""),
            values.get("notes", ""),
        )
    except FormError as exc:
        await reply(interaction, exc.message("tap Check in (or send /checkin) to try again."))
        return
    await deps.bus.publish(
        events.checkin_answered(interaction.id, client.id, day, form, deps.clock())
    )
    await reply(interaction, confirmation(day, form.weight_kg, form.sleep_hours, form.energy))


class CheckinButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=re.compile(r"checkin:\d{4}-\d{2}-\d{2}"),
):
    """The check-in prompt's button (``checkin:<local date>``): opens the form."""

    def __init__(self, click: CheckinClick) -> None:
        super().__init__(discord.ui.Button(custom_id=f"checkin:{click.local_date.isoformat()}"))
        self.click = click

    @classmethod
    async def from_custom_id(
        cls, interaction: AnyInteraction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> CheckinButton:
        click = parse_custom_id(match.string)
        if not isinstance(click, CheckinClick):
            raise ValueError(f"not a check-in button: {match.string!r}")
        return cls(click)

    async def callback(self, interaction: AnyInteraction) -> None:
        async with answering(interaction):
            client = await active_client(interaction)
            if client is None:
                return
            today = client.today(services(interaction).clock())
            day = checkin_day(self.click.local_date, today)
            await interaction.response.send_modal(checkin_modal(day))


class Checkin(commands.Cog):
    @app_commands.command(name="checkin", description="Log today's weight, sleep and energy")
    @app_commands.describe(unit="Weigh yourself in kg or lb? (kg if you don't say)")
    async def checkin(
        self, interaction: Interaction, unit: Literal["kg", "lb"] | None = None
    ) -> None:
        client = await active_client(interaction)
        if client is None:
            return
        today = client.today(services(interaction).clock())
        await interaction.response.send_modal(checkin_modal(today, WeightUnit(unit or "kg")))


async def setup(bot: CoachBot) -> None:
    bot.add_dynamic_items(CheckinButton)
    bot.modal_handlers[ROUTE] = submitted
    await bot.add_cog(Checkin())
