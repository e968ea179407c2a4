"""Modals without memory: rendered by the bot, their submissions routed by custom id.

discord.py dispatches a modal submit only to the ``Modal`` object still held in memory,
so a form opened before a restart and sent after it would be dropped. Here a modal is
only a rendering: its custom id carries its context (``mc:checkin:2026-11-26``), and the
bot's ``on_interaction`` hands every ``mc:`` submission to the handler registered for
its prefix, which reads the values from the submission itself.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import discord

from .common import Interaction

MODAL_TIMEOUT_SECONDS = 900.0
"""How long discord.py keeps its copy of an open modal; submissions after that (or after
a restart) still arrive, through :func:`modal_route`."""

PREFIX = "mc"

ModalHandler = Callable[[Interaction, list[str], dict[str, str]], Awaitable[None]]
"""(interaction, the custom id's parts after the route, the submitted values)."""


def modal(title: str, route: str, *parts: str) -> discord.ui.Modal:
    """An empty modal whose custom id routes its submission to ``route``'s handler."""
    custom_id = ":".join((PREFIX, route, *parts))
    return discord.ui.Modal(title=title, custom_id=custom_id, timeout=MODAL_TIMEOUT_SECONDS)


def modal_route(custom_id: str) -> tuple[str, list[str]] | None:
    """``(route, parts)`` of a modal custom id this bot built, else ``None``."""
    prefix, _, rest = custom_id.partition(":")
    if prefix != PREFIX or not rest:
        return None
    route, *parts = rest.split(":")
    return route, parts


def submitted_values(components: Sequence[Any]) -> dict[str, str]:
    """Every field of a modal submission by custom id; a select gives its first choice."""
    values: dict[str, str] = {}
    for component in components:
        kind = component.get("type")
        if kind == 1:
            values.update(submitted_values(component.get("components") or []))
        elif kind == 18:
            values.update(submitted_values([component.get("component") or {}]))
        elif "custom_id" in component:
            if "values" in component:
                chosen = component.get("values") or []
                values[component["custom_id"]] = str(chosen[0]) if chosen else ""
            else:
                values[component["custom_id"]] = str(component.get("value") or "")
    return values


def text_field(
    label: str,
    custom_id: str,
    *,
    description: str | None = None,
    placeholder: str | None = None,
    required: bool = False,
    max_length: int | None = None,
    paragraph: bool = False,
) -> discord.ui.Label[Any]:
    return discord.ui.Label(
        text=label,
        description=description,
        component=discord.ui.TextInput(
            custom_id=custom_id,
            style=discord.TextStyle.paragraph if paragraph else discord.TextStyle.short,
            placeholder=placeholder,
            required=required,
            max_length=max_length,
        ),
    )
