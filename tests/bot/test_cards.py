"""A job card's text, buttons and click rules as plain functions (no Discord)."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from monstercoach_bot.cards import (
    card_buttons,
    card_text,
    click_refusal,
    current_card,
    shown_statuses,
    with_answer,
)
from monstercoach_bot.records import Card, CardItem
from monstercoach_schemas.buttons import JobCardItemClick, parse_custom_id
from monstercoach_schemas.domain import JobCardItemStatus as Status

DAY = date(2026, 11, 26)
CLIENT = uuid.uuid4()


def card(*statuses: Status, day: date = DAY) -> Card:
    items = tuple(
        CardItem(uuid.uuid4(), n, f"Item {n}", status) for n, status in enumerate(statuses)
    )
    return Card(uuid.uuid4(), CLIENT, day, items)


def click(of: Card, index: int, answer: str = "done") -> JobCardItemClick:
    code = "d" if answer == "done" else "s"
    parsed = parse_custom_id(f"jc:{of.id}:{of.items[index].id}:{code}")
    assert isinstance(parsed, JobCardItemClick)
    return parsed


@pytest.mark.parametrize("status", list(Status))
def test_a_cards_buttons_show_each_answer(status: Status) -> None:
    shown = card(status, Status.PENDING)
    buttons = [(b.custom_id, b.disabled) for b in card_buttons(shown)]
    assert shown_statuses(buttons) == {item.id: item.status for item in shown.items}


def test_buttons_follow_the_custom_id_contract() -> None:
    shown = card(Status.PENDING)
    done, skip = card_buttons(shown)
    assert isinstance(parse_custom_id(done.custom_id), JobCardItemClick)
    assert (done.label, done.style, skip.label) == ("✅ Item 0", "success", "Skip")


def test_other_buttons_are_ignored() -> None:
    assert shown_statuses([("meal", False), ("checkin:2026-11-26", True)]) == {}


def test_the_message_is_newer_than_the_database_for_answers_only() -> None:
    recorded = card(Status.PENDING, Status.MISSED, Status.DONE)
    shown = {
        recorded.items[0].id: Status.DONE,  # clicked a moment ago; the api is catching up
        recorded.items[1].id: Status.PENDING,  # the close-out is newer than this message
        recorded.items[2].id: Status.PENDING,  # marked on another copy of the card
    }
    assert [i.status for i in current_card(recorded, shown).items] == [
        Status.DONE,
        Status.MISSED,
        Status.DONE,
    ]


def test_the_text_counts_what_is_done() -> None:
    assert card_text(card(Status.DONE, Status.SKIPPED, Status.PENDING)).splitlines() == [
        "📋 **Job card · Thu 26 Nov**",
        "✅ Item 0",
        "⏭️ Item 1",
        "▫️ Item 2",
        "1/3 done · tap ✅ as you go",
    ]
    assert card_text(card(Status.DONE, Status.DONE)).endswith("All done — great work today! 🎉")
    assert card_text(card(Status.DONE, Status.MISSED)).endswith("Fresh card tomorrow morning 💪")


def test_an_answer_changes_one_item() -> None:
    before = card(Status.PENDING, Status.PENDING)
    after = with_answer(before, before.items[1].id, "skipped")
    assert [i.status for i in after.items] == [Status.PENDING, Status.SKIPPED]


class TestClickRules:
    def test_todays_card_of_this_client(self) -> None:
        today = card(Status.PENDING)
        assert click_refusal(today, CLIENT, click(today, 0), DAY) is None

    def test_refusals(self) -> None:
        today = card(Status.PENDING, Status.MISSED)
        assert "few seconds" in (click_refusal(None, CLIENT, click(today, 0), DAY) or "")
        assert "someone else" in (click_refusal(today, uuid.uuid4(), click(today, 0), DAY) or "")
        assert "marked missed" in (click_refusal(today, CLIENT, click(today, 1), DAY) or "")
        old = card(Status.PENDING, day=date(2026, 11, 25))
        assert "Wed 25 Nov and is closed" in (click_refusal(old, CLIENT, click(old, 0), DAY) or "")
        other = card(Status.PENDING)
        assert "isn't on the card" in (click_refusal(today, CLIENT, click(other, 0), DAY) or "")
