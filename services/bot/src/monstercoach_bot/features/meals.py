"""``/meal`` (with an optional photo), the meal reminder's button, the meal form →
``meal.logged``.

A photo comes with the slash command, the description with the form that follows. The
photo's URL is too long for the form's custom id, so it waits in Redis (under the
command's interaction id, for an hour) until the form comes back: a restart between the
two loses nothing.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from monstercoach_schemas.buttons import MealClick, meal_button, parse_custom_id

from .. import events
from ..cards import day_label
from ..validation import FormError, MealForm, parse_meal, photo_url
from .common import AnyInteraction, Interaction, Services, active_client, answering, reply, services
from .forms import modal, text_field

if TYPE_CHECKING:
    from ..gateway import CoachBot

ROUTE = "meal"
PHOTO_TTL = timedelta(hours=1)


def photo_key(deps: Services, user_id: int | str, interaction_id: int | str) -> str:
    # The user is in the key: a form can only pick up its own user's photo.
    return f"{deps.key_prefix}bot:meal-photo:{user_id}:{interaction_id}"


def meal_modal(photo_ref: str | None = None) -> discord.ui.Modal:
    title = "Log a meal 📷" if photo_ref else "Log a meal"
    form = modal(title, ROUTE, *([photo_ref] if photo_ref else []))
    form.add_item(
        text_field(
            "What did you eat?",
            "description",
            placeholder="Chicken, rice and salad",
            required=True,
            max_length=200,
        )
    )
    form.add_item(text_field("Calories (kcal)", "kcal", placeholder="650", max_length=10))
    form.add_item(text_field("Protein (g)", "protein", placeholder="45", max_length=8))
    form.add_item(text_field("Carbs (g)", "carbs", placeholder="60", max_length=8))
    form.add_item(text_field("Fat (g)", "fat", placeholder="20", max_length=8))
    return form


def confirmation(form: MealForm, day: str, with_photo: bool, photo_lost: bool) -> str:
    macros = [
        f"{label} {value} g"
        for label, value in (("P", form.protein_g), ("C", form.carbs_g), ("F", form.fat_g))
        if value is not None
    ]
    figures = " · ".join(([f"{form.kcal:,} kcal"] if form.kcal is not None else []) + macros)
    text = f"Logged 🍽️ {form.description}" + (f" — {figures}" if figures else "")
    text += f" ({day})" + (" 📷" if with_photo else "") + "."
    if photo_lost:
        text += " Your photo's link had expired, so it isn't attached — send it again next time."
    return text


async def submitted(interaction: Interaction, parts: list[str], values: dict[str, str]) -> None:
    client = await active_client(interaction)
    if client is None:
        return
    deps = services(interaction)
    try:
        form = parse_meal(
            values.get("description", ""),
            values.get("kcal", ""),
            values.get("protein", ""),
            values.get("carbs", ""),
            values.get("fat", ""),
        )
    except FormError as exc:
        await reply(interaction, exc.message("send /meal (or tap Log a meal) to try again."))
        return
    url: str | None = None
    if parts:
        # Read, not taken: a second bot handling the same submit must see it too.
        stored = await deps.redis.get(photo_key(deps, interaction.user.id, parts[0]))
        url = stored.decode() if isinstance(stored, bytes) else stored
    now = deps.clock()
    await deps.bus.publish(events.meal_logged(interaction.id, client.id, form, url, now))
    day = day_label(client.today(now))
    await reply(interaction, confirmation(form, day, url is not None, bool(parts) and url is None))


class MealButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=re.compile(re.escape(meal_button().custom_id)),
):
    """The meal reminder's button: opens the form."""

    def __init__(self) -> None:
        super().__init__(discord.ui.Button(custom_id=meal_button().custom_id))

    @classmethod
    async def from_custom_id(
        cls, interaction: AnyInteraction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> MealButton:
        if not isinstance(parse_custom_id(match.string), MealClick):
            raise ValueError(f"not the meal button: {match.string!r}")
        return cls()

    async def callback(self, interaction: AnyInteraction) -> None:
        async with answering(interaction):
            if await active_client(interaction) is not None:
                await interaction.response.send_modal(meal_modal())


class Meals(commands.Cog):
    @app_commands.command(name="meal", description="Log what you ate (a photo is welcome)")
    @app_commands.describe(photo="A photo of your plate (optional)")
    async def meal(self, interaction: Interaction, photo: discord.Attachment | None = None) -> None:
        if await active_client(interaction) is None:
            return
        ref = None
        if photo is not None:
            try:
                url = photo_url(photo.url, photo.content_type)
            except ValueError as exc:
                await reply(interaction, f"{exc}\nNothing was saved.")
                return
            deps = services(interaction)
            ref = str(interaction.id)
            await deps.redis.set(photo_key(deps, interaction.user.id, ref), url, ex=PHOTO_TTL)
        await interaction.response.send_modal(meal_modal(ref))


async def setup(bot: CoachBot) -> None:
    bot.add_dynamic_items(MealButton)
    bot.modal_handlers[ROUTE] = submitted
    await bot.add_cog(Meals())
