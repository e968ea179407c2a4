"""What a delivery looks like on Discord, as plain functions (no network, no client).

The text is sent as composed upstream; the buttons become one discord.py view whose
``custom_id``s the bot's persistent views answer, in rows of five as Discord lays them
out. ``render_text`` is the same message as text, for dry-run and the delivery record.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import discord

from monstercoach_schemas.messages import Button

BUTTONS_PER_ROW = 5
RENDERED_MAX = 4000
"""The outcome's ``rendered_text`` limit."""
NONCE_MAX = 25
"""Discord's limit on a message nonce."""

STYLES = {
    "primary": discord.ButtonStyle.primary,
    "secondary": discord.ButtonStyle.secondary,
    "success": discord.ButtonStyle.success,
    "danger": discord.ButtonStyle.danger,
}

_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def build_view(buttons: Sequence[Button]) -> discord.ui.View | None:
    """The message's components; ``None`` for a message without buttons."""
    if not buttons:
        return None
    # No timeout: the buttons must keep working after the bot restarts.
    view = discord.ui.View(timeout=None)
    for button in buttons:
        view.add_item(
            discord.ui.Button(
                label=button.label, custom_id=button.custom_id, style=STYLES[button.style]
            )
        )
    return view


def render_text(text: str, buttons: Sequence[Button]) -> str:
    """The message as a client sees it: the text, then one line per row of buttons."""
    rows = [
        " ".join(f"[{b.label}]" for b in buttons[start : start + BUTTONS_PER_ROW])
        for start in range(0, len(buttons), BUTTONS_PER_ROW)
    ]
    rendered = "\n".join([text, *rows])
    if len(rendered) > RENDERED_MAX:
        return rendered[: RENDERED_MAX - 1] + "…"
    return rendered


def delivery_nonce(delivery_id: UUID) -> str:
    """A nonce unique to the delivery, within Discord's 25 characters.

    128 bits in base 36 take at most 25 digits, so the mapping is one-to-one: two
    deliveries never share a nonce, and every attempt of one delivery uses the same.
    """
    number, digits = delivery_id.int, []
    while number:
        number, digit = divmod(number, 36)
        digits.append(_BASE36[digit])
    return "".join(reversed(digits)) or "0"
