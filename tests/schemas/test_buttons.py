"""Button custom ids round-trip, fit Discord's limit, and reject what we never built."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monstercoach_schemas.buttons import (
    CheckinClick,
    JobCardItemClick,
    MealClick,
    checkin_button,
    jobcard_item_buttons,
    meal_button,
    parse_custom_id,
)


@given(card=st.uuids(), item=st.uuids(), label=st.text(min_size=1, max_size=120))
def test_jobcard_buttons_round_trip_within_discords_limits(card, item, label) -> None:  # type: ignore[no-untyped-def]
    done, skip = jobcard_item_buttons(card, item, label)
    assert parse_custom_id(done.custom_id) == JobCardItemClick(card, item, "done")
    assert parse_custom_id(skip.custom_id) == JobCardItemClick(card, item, "skipped")
    assert len(done.custom_id) <= 100
    assert len(done.label) <= 80


@given(day=st.dates())
def test_checkin_button_carries_its_local_date(day: date) -> None:
    assert parse_custom_id(checkin_button(day).custom_id) == CheckinClick(day)


def test_meal_button() -> None:
    assert parse_custom_id(meal_button().custom_id) == MealClick()


@pytest.mark.parametrize(
    "custom_id",
    [
        "",
        "jc",
        "jc:not-a-uuid:also-not:d",
        "jc:00000000-0000-0000-0000-000000000001:00000000-0000-0000-0000-000000000002:x",
        "checkin:",
        "checkin:2026-02-30",
        "meal:extra",
        "something:else",
    ],
)
def test_foreign_or_damaged_ids_are_rejected(custom_id: str) -> None:
    with pytest.raises(ValueError, match=r"."):
        parse_custom_id(custom_id)
