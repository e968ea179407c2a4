"""``docs/LST_Master.md`` is generated from the declarations, committed, and never stale."""

from __future__ import annotations

from datetime import time, timedelta

from monstercoach_cli.generate import all_generators
from monstercoach_schemas.domain import DeliveryKind, Weekday
from monstercoach_schemas.lst.base import (
    ClientLocalTime,
    Emits,
    Engine,
    MissedPolicy,
    OnEvent,
    Trigger,
)
from monstercoach_schemas.lst.registry import all_triggers
from monstercoach_schemas.lst.render import render_lst_master

DOC = "docs/LST_Master.md"


def test_render_is_deterministic() -> None:
    assert render_lst_master() == render_lst_master()


def test_first_line_says_generated_do_not_edit() -> None:
    first = render_lst_master().splitlines()[0]
    assert "monstercoach generate" in first
    assert "Do not edit by hand" in first


def test_every_trigger_id_is_in_the_doc() -> None:
    doc = render_lst_master()
    for trigger in all_triggers():
        assert f"`{trigger.trigger}`" in doc
        assert f"## `{trigger.engine}`" in doc


def test_rows_read_as_times_outputs_and_deadlines() -> None:
    doc = render_lst_master()
    assert (
        "| `morning_prompt` | 07:30 client-local, every day | `delivery.requested` "
        "(checkin_prompt) | 12:00 client-local, same day | `mark_missed` |"
    ) in doc
    assert "| `sunday_scan` | 18:00 coach-local, Sun | `scan.requested` | — | `none` |" in doc
    assert "| `close_out` | 23:30 client-local, every day |" in doc


def test_other_shapes_render_too() -> None:
    # Shapes no default uses yet: an event trigger, a timedelta deadline, some weekdays,
    # and a pipe in a description (which must not split the table cell).
    engine = Engine(
        "demo",
        "Demo.",
        (
            Trigger(
                "demo",
                "after_meal",
                OnEvent("meal.logged"),
                Emits("delivery.requested", DeliveryKind.NUDGE),
                timedelta(hours=1, minutes=30),
                MissedPolicy.MARK_MISSED,
                "a | b",
            ),
            Trigger(
                "demo",
                "weekday_nudge",
                ClientLocalTime(time(9, 5), (Weekday.FRI, Weekday.MON)),
                Emits("delivery.requested", DeliveryKind.NUDGE),
                timedelta(minutes=45),
                MissedPolicy.MARK_MISSED,
                "Nudge.",
            ),
        ),
    )
    doc = render_lst_master((engine,))
    assert "| `after_meal` | on `meal.logged` | `delivery.requested` (nudge) | 1 h 30 min" in doc
    assert "a \\| b |" in doc
    assert "| 09:05 client-local, Mon, Fri |" in doc
    assert "| 45 min after the fire |" in doc


def test_the_generator_is_built_into_monstercoach_generate() -> None:
    assert (DOC, render_lst_master) in all_generators()
