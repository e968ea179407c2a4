"""What a delivery looks like on Discord, without Discord."""

from __future__ import annotations

import uuid

import discord

from monstercoach_bot.render import (
    NONCE_MAX,
    RENDERED_MAX,
    build_view,
    delivery_nonce,
    render_text,
)
from monstercoach_schemas.messages import Button


def buttons(n: int, label: str = "B") -> list[Button]:
    return [Button(custom_id=f"card:{i}", label=f"{label}{i}") for i in range(n)]


class TestView:
    def test_no_buttons_no_components(self) -> None:
        assert build_view([]) is None

    def test_buttons_keep_their_ids_and_styles_in_rows_of_five(self) -> None:
        items = [
            Button(custom_id="jobcard:done:1", label="Done", style="success"),
            Button(custom_id="jobcard:skip:1", label="Skip", style="danger"),
            *buttons(5),
        ]
        view = build_view(items)
        assert view is not None
        rows = view.to_components()
        assert [len(row["components"]) for row in rows] == [5, 2]
        first = rows[0]["components"][0]
        assert (first["custom_id"], first["label"]) == ("jobcard:done:1", "Done")
        assert first["style"] == discord.ButtonStyle.success.value
        assert rows[0]["components"][1]["style"] == discord.ButtonStyle.danger.value
        assert rows[0]["components"][2]["style"] == discord.ButtonStyle.secondary.value

    def test_the_view_never_times_out(self) -> None:
        # Persistent: the buttons are answered after a restart, whenever they are pressed.
        view = build_view(buttons(1))
        assert view is not None
        assert view.timeout is None


class TestRenderedText:
    def test_text_alone_without_buttons(self) -> None:
        assert render_text("Check-in time!", []) == "Check-in time!"

    def test_one_line_per_row_of_buttons(self) -> None:
        assert render_text("Card", buttons(6)) == "Card\n[B0] [B1] [B2] [B3] [B4]\n[B5]"

    def test_the_longest_message_fits_the_outcome(self) -> None:
        rendered = render_text("x" * 2000, buttons(25, label="y" * 78))
        assert len(rendered) == RENDERED_MAX
        assert rendered.endswith("…")


class TestNonce:
    def test_fits_discord_even_for_the_largest_id(self) -> None:
        assert len(delivery_nonce(uuid.UUID(int=(1 << 128) - 1))) == NONCE_MAX

    def test_same_delivery_same_nonce(self) -> None:
        delivery_id = uuid.uuid4()
        assert delivery_nonce(delivery_id) == delivery_nonce(uuid.UUID(str(delivery_id)))

    def test_different_deliveries_never_share_one(self) -> None:
        ids = [uuid.uuid4() for _ in range(2000)]
        nonces = {delivery_nonce(i) for i in ids}
        assert len(nonces) == len(ids)
        assert all(n.isalnum() and n == n.lower() for n in nonces)
