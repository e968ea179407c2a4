"""The engines: their declarations (the shared LST) with the issue's defaults, their logic
(what each fire composes), and no engine reaching another."""

from __future__ import annotations

import ast
import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monstercoach_scheduler import composers
from monstercoach_scheduler.engines import jobcard
from monstercoach_scheduler.engines.base import (
    FIRE_NAMESPACE,
    ClientFacts,
    FireContext,
    fire_uuid_int,
)
from monstercoach_schemas.domain import DeliveryKind, Goal, Weekday
from monstercoach_schemas.lst import base
from monstercoach_schemas.lst import jobcard as jobcard_lst
from monstercoach_schemas.lst import registry as lst_registry
from monstercoach_schemas.lst.base import (
    ClientLocalTime,
    CoachLocalTime,
    Emits,
    Engine,
    MissedPolicy,
    OnEvent,
    Trigger,
)
from monstercoach_schemas.lst.registry import all_engines, all_triggers
from monstercoach_schemas.messages import MESSAGE_TYPES, Envelope, parse_message

DECLARATIONS_DIR = Path(base.__file__).parent
LOGIC_DIR = Path(jobcard.__file__).parent
EVERY_DAY = tuple(Weekday)


def _by_id() -> dict[tuple[str, str], Trigger]:
    return {(t.engine, t.trigger): t for t in all_triggers()}


# --- ids ------------------------------------------------------------------------------------


def test_engine_and_trigger_ids_are_unique() -> None:
    keys = [(t.engine, t.trigger) for t in all_triggers()]
    assert len(keys) == len(set(keys))
    ids = [engine.id for engine in all_engines()]
    assert ids == ["checkin", "jobcard", "meals", "weekly_scan"]


def test_each_module_declares_the_engine_named_after_it() -> None:
    for module in lst_registry.ENGINE_MODULES:
        assert module.ENGINE.id == module.__name__.rsplit(".", 1)[-1]


SHARED_MODULES = {"__init__", "base", "registry", "plan", "render", "timing"}


def test_every_engine_module_is_registered_on_both_sides() -> None:
    # A new engine file that is not in a registry would silently never fire.
    declared = {p.stem for p in DECLARATIONS_DIR.glob("*.py")} - SHARED_MODULES
    logic = {p.stem for p in LOGIC_DIR.glob("*.py")} - {"__init__", "base"}
    registered = {m.__name__.rsplit(".", 1)[-1] for m in lst_registry.ENGINE_MODULES}
    assert declared == logic == registered == set(composers.ENGINE_MODULES)


# --- the issue's defaults -------------------------------------------------------------------

EXPECTED_DEFAULTS = {
    ("jobcard", "morning_card"): ClientLocalTime(time(7, 0), EVERY_DAY),
    ("checkin", "morning_prompt"): ClientLocalTime(time(7, 30), EVERY_DAY),
    ("meals", "lunch_reminder"): ClientLocalTime(time(12, 30), EVERY_DAY),
    ("meals", "dinner_reminder"): ClientLocalTime(time(19, 0), EVERY_DAY),
    ("jobcard", "close_out"): ClientLocalTime(time(23, 30), EVERY_DAY),
    ("weekly_scan", "sunday_scan"): CoachLocalTime(time(18, 0), (Weekday.SUN,)),
}


def test_the_defaults_are_exactly_the_issue_times() -> None:
    assert {key: t.when for key, t in _by_id().items()} == EXPECTED_DEFAULTS


def test_the_checkin_answer_deadline_is_noon_local() -> None:
    prompt = _by_id()[("checkin", "morning_prompt")]
    assert prompt.deadline == time(12, 0)
    assert prompt.missed_policy is MissedPolicy.MARK_MISSED


def test_the_close_out_turns_pending_items_into_missed() -> None:
    assert _by_id()[("jobcard", "close_out")].missed_policy is MissedPolicy.CLOSE_OUT_ITEMS


def test_what_each_trigger_emits() -> None:
    emits = {key: t.emits for key, t in _by_id().items()}
    delivery = "delivery.requested"
    assert emits == {
        ("jobcard", "morning_card"): Emits(delivery, DeliveryKind.JOBCARD),
        ("checkin", "morning_prompt"): Emits(delivery, DeliveryKind.CHECKIN_PROMPT),
        ("meals", "lunch_reminder"): Emits(delivery, DeliveryKind.MEAL_REMINDER),
        ("meals", "dinner_reminder"): Emits(delivery, DeliveryKind.MEAL_REMINDER),
        ("jobcard", "close_out"): Emits(delivery, DeliveryKind.JOBCARD_CLOSEOUT),
        ("weekly_scan", "sunday_scan"): Emits("scan.requested"),
    }
    assert all(e.message_type in MESSAGE_TYPES for e in emits.values())


# --- the declarations reject nonsense at import time ---------------------------------------


def _trigger(**changes: object) -> Trigger:
    fields: dict[str, object] = {
        "engine": "demo",
        "trigger": "demo_trigger",
        "when": ClientLocalTime(time(8, 0)),
        "emits": Emits("delivery.requested", DeliveryKind.NUDGE),
        "deadline": timedelta(hours=1),
        "missed_policy": MissedPolicy.MARK_MISSED,
        "description": "A demo.",
    }
    return Trigger(**(fields | changes))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"trigger": "MorningPrompt"}, "snake_case"),
        ({"description": "  "}, "description"),
        ({"deadline": None}, "needs a deadline"),
        ({"deadline": timedelta(0)}, "after the fire"),
        ({"deadline": time(7, 0)}, "not after the fire"),
        ({"when": OnEvent("meal.logged"), "deadline": time(9, 0)}, "timedelta"),
        ({"answered_by": "no.such.type"}, "unknown answer type"),
        ({"answered_by": "meal.logged"}, "names no client-day"),
    ],
)
def test_a_bad_trigger_fails_when_declared(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _trigger(**changes)


@pytest.mark.parametrize(
    "build",
    [
        lambda: ClientLocalTime(time(7, 30, 15)),
        lambda: ClientLocalTime(time(7, 30), ()),
        lambda: ClientLocalTime(time(7, 30), (Weekday.MON, Weekday.MON)),
        lambda: CoachLocalTime(time(18, 0), ()),
        lambda: OnEvent("no.such.type"),
        lambda: Emits("no.such.type"),
        lambda: Emits("delivery.requested"),
        lambda: Emits("scan.requested", DeliveryKind.NUDGE),
    ],
)
def test_a_bad_part_fails_when_declared(build: Callable[[], object]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
        build()


def test_an_engine_rejects_foreign_or_repeated_triggers() -> None:
    with pytest.raises(ValueError, match="names engine"):
        Engine("other", "x", (_trigger(),))
    with pytest.raises(ValueError, match="repeats"):
        Engine("demo", "x", (_trigger(), _trigger()))
    with pytest.raises(ValueError, match="no trigger"):
        Engine("demo", "x", ())


# --- engines never import each other --------------------------------------------------------

ENGINE_IDS = {engine.id for engine in all_engines()}
LOGIC_PACKAGE = "monstercoach_scheduler.engines"
DECLARATIONS_PACKAGE = "monstercoach_schemas.lst"


def _imported_names(node: ast.Import | ast.ImportFrom, package: str) -> list[str]:
    """Dotted names an import statement reaches: ``from a.b import c`` reaches ``a.b.c``."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    module = node.module or ""
    if node.level:
        # Relative: ``from .x import y`` / ``from . import x``, resolved against ``package``.
        parent = package.rsplit(".", node.level - 1)[0]
        module = f"{parent}.{module}" if module else parent
    # ``c`` may be a module (``from engines import meals``) or a name in one; checking the
    # joined path covers both, because a name inside base still starts with base's path.
    return [f"{module}.{alias.name}" for alias in node.names]


def _engine_reached(name: str) -> str | None:
    """The engine whose logic or declaration ``name`` reaches, if any."""
    for package in (LOGIC_PACKAGE, DECLARATIONS_PACKAGE):
        if name.startswith(package + "."):
            part = name.removeprefix(package + ".").split(".")[0]
            return part if part in ENGINE_IDS else None
    return None


def _allowed(name: str, own: str) -> bool:
    if not name.startswith("monstercoach"):
        return True  # stdlib or third party
    if name.startswith((f"{DECLARATIONS_PACKAGE}.registry", f"{LOGIC_PACKAGE.split('.')[0]}.")):
        # The registries reach every engine; the rest of the scheduler is the tick.
        return name.startswith(f"{LOGIC_PACKAGE}.base") or _engine_reached(name) == own
    engine = _engine_reached(name)
    return engine is None or engine == own


def forbidden_imports(source: str, package: str, own: str) -> list[str]:
    """Imports of engine ``own``'s module that reach another engine (or the tick)."""
    return [
        name
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Import | ast.ImportFrom)
        for name in _imported_names(node, package)
        if not _allowed(name, own)
    ]


ENGINE_FILES = [
    (module, package)
    for package, modules in (
        (LOGIC_PACKAGE, composers.ENGINE_MODULES.values()),
        (DECLARATIONS_PACKAGE, lst_registry.ENGINE_MODULES),
    )
    for module in modules
]


@pytest.mark.parametrize(
    ("module", "package"), ENGINE_FILES, ids=lambda m: getattr(m, "__name__", m)
)
def test_an_engine_reaches_no_other_engine(module: ModuleType, package: str) -> None:
    assert module.__file__ is not None
    own = module.__name__.rsplit(".", 1)[-1]
    source = Path(module.__file__).read_text(encoding="utf-8")
    assert forbidden_imports(source, package, own) == []


@pytest.mark.parametrize(
    "source",
    [
        "from . import meals",
        "from .meals import COMPOSERS",
        "from monstercoach_scheduler.engines import meals",
        "import monstercoach_scheduler.engines.meals",
        "from monstercoach_schemas.lst.meals import LUNCH_REMINDER",
        "from monstercoach_schemas.lst import meals",
        "from monstercoach_schemas.lst.registry import all_engines",
        "from monstercoach_scheduler.tick import Ticker",
        "from .. import composers",
    ],
)
def test_the_import_check_catches_a_cross_engine_import(source: str) -> None:
    assert forbidden_imports(source, LOGIC_PACKAGE, "checkin") != []


@pytest.mark.parametrize(
    "source",
    [
        "from .base import FireContext",
        "from monstercoach_scheduler.engines.base import Compose",
        "from monstercoach_schemas.lst.checkin import MORNING_PROMPT",
        "from monstercoach_schemas.lst.base import Trigger",
        "from monstercoach_schemas.domain import DeliveryKind",
        "import monstercoach_kit.bus",
        "from datetime import time",
    ],
)
def test_the_import_check_allows_own_declaration_base_schemas_kit_and_stdlib(source: str) -> None:
    assert forbidden_imports(source, LOGIC_PACKAGE, "checkin") == []


def test_every_declared_trigger_has_logic_and_nothing_else_does() -> None:
    assert set(composers.COMPOSERS) == {(t.engine, t.trigger) for t in all_triggers()}


# --- what each trigger composes ---------------------------------------------------------------

CLIENT = ClientFacts(
    id=uuid.UUID("0190f3a0-0000-7000-8000-000000000001"),
    discord_user_id="123456789012345678",
    display_name="Ana Silva",
    time_zone="Europe/Lisbon",
    goal=Goal.FAT_LOSS,
    target_kcal=2000,
    target_protein_g=140,
    target_steps=9000,
    target_water_ml=2500,
    training_days=(Weekday.MON, Weekday.THU),
)


def _context(trigger: Trigger, client: ClientFacts | None = CLIENT) -> FireContext:
    coach_level = isinstance(trigger.when, CoachLocalTime)
    return FireContext(
        engine=trigger.engine,
        trigger=trigger.trigger,
        client=None if coach_level else client,
        local_date=date(2026, 11, 26),  # a Thursday: a training day for Ana
        scheduled_for=datetime(2026, 11, 26, 7, 0, tzinfo=UTC),
        deadline_at=None,
    )


@pytest.mark.parametrize("trigger", all_triggers(), ids=lambda t: f"{t.engine}.{t.trigger}")
def test_each_trigger_composes_what_it_declares_and_it_is_valid_on_the_wire(
    trigger: Trigger,
) -> None:
    messages = composers.compose_for(trigger)(_context(trigger))
    first = messages[0]
    assert first.type == trigger.emits.message_type
    if trigger.emits.kind is not None:
        assert first.payload.kind is trigger.emits.kind
    for message in messages:
        assert parse_message(message.model_dump_json()) == message
    # One trace ties together everything one fire produced.
    assert len({message.trace_id for message in messages}) == 1


@pytest.mark.parametrize("trigger", all_triggers(), ids=lambda t: f"{t.engine}.{t.trigger}")
def test_the_same_fire_composes_the_same_ids(trigger: Trigger) -> None:
    # A fire re-published after a crash must be recognisable as the same fire downstream.
    def ids(messages: Sequence[Envelope[Any]]) -> list[object]:
        return [(m.idempotency_key, m.trace_id, getattr(m.payload, "delivery_id", None),
                 getattr(m.payload, "card_id", None)) for m in messages]  # fmt: skip

    assert ids(composers.compose_for(trigger)(_context(trigger))) == ids(
        composers.compose_for(trigger)(_context(trigger))
    )


def test_the_job_card_follows_targets_and_training_days() -> None:
    [delivery, issued] = jobcard.compose_card(_context(jobcard_lst.MORNING_CARD))
    labels = [item.label for item in issued.payload.items]  # type: ignore[attr-defined]
    assert labels == [
        "Hit 140 g protein",
        "9,000 steps",
        "Drink 2.5 L water",
        "Training session",
        "Log every meal",
    ]
    assert "Ana" in delivery.payload.text  # type: ignore[attr-defined]
    rest_day = replace(CLIENT, training_days=(Weekday.MON,))
    [_, issued] = jobcard.compose_card(_context(jobcard_lst.MORNING_CARD, rest_day))
    assert "10 min mobility" in [item.label for item in issued.payload.items]  # type: ignore[attr-defined]


@settings(max_examples=60, deadline=None)
@given(
    name=st.text(
        st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=80
    ).filter(lambda s: s.strip() and s.split()),
    protein=st.integers(0, 2000),
    steps=st.integers(0, 100_000),
    water=st.integers(0, 10_000),
)
def test_any_valid_client_gets_valid_messages(
    name: str, protein: int, steps: int, water: int
) -> None:
    client = replace(
        CLIENT, display_name=name, target_protein_g=protein, target_steps=steps,
        target_water_ml=water,
    )  # fmt: skip
    for trigger in all_triggers():
        for message in composers.compose_for(trigger)(_context(trigger, client)):
            assert parse_message(message.model_dump_json()) == message


DISCORD_IDS = st.from_regex(r"[0-9]{15,21}", fullmatch=True)
"""What the clients table accepts (its CHECK constraint), so what a due row may hold."""


@settings(max_examples=60, deadline=None)
@given(
    discord_id=DISCORD_IDS,
    goal=st.sampled_from(Goal),
    training_days=st.lists(st.sampled_from(Weekday), unique=True, max_size=7).map(tuple),
    day=st.dates(date(2020, 1, 1), date(2040, 12, 31)),
    offset_minutes=st.integers(-12 * 60, 14 * 60),
    deadline_hours=st.none() | st.integers(1, 12),
)
def test_every_composed_envelope_round_trips_through_the_shared_schema(
    discord_id: str,
    goal: Goal,
    training_days: tuple[Weekday, ...],
    day: date,
    offset_minutes: int,
    deadline_hours: int | None,
) -> None:
    # What the bus publishes is each envelope's JSON; a consumer parses it with
    # parse_message. It must parse, to the same message, and serialise to the same bytes
    # (nothing the schema would strip or coerce is left in what the engines build).
    client = replace(CLIENT, discord_user_id=discord_id, goal=goal, training_days=training_days)
    scheduled = datetime.combine(day, time(7, 0), timezone(timedelta(minutes=offset_minutes)))
    for trigger in all_triggers():
        context = replace(
            _context(trigger, client),
            local_date=day,
            scheduled_for=scheduled,
            deadline_at=None
            if deadline_hours is None
            else scheduled + timedelta(hours=deadline_hours),
        )
        for message in composers.compose_for(trigger)(context):
            wire = message.model_dump_json()
            parsed = parse_message(wire)
            assert parsed == message
            assert type(parsed) is type(message)
            assert parsed.model_dump_json() == wire


@given(name=st.text(max_size=200))
def test_fire_ids_are_the_uuid5_of_their_key(name: str) -> None:
    # Ids are derived without uuid.uuid5 for speed; they must stay uuid5's, or a fire
    # re-published across an upgrade would not be recognised downstream.
    assert fire_uuid_int(name) == uuid.uuid5(FIRE_NAMESPACE, name).int


def test_a_fires_trace_is_the_hex_of_its_uuid5() -> None:
    context = _context(jobcard_lst.MORNING_CARD)
    assert context.trace_id == uuid.uuid5(FIRE_NAMESPACE, context.key("trace")).hex
    assert context.uuid("card") == uuid.uuid5(FIRE_NAMESPACE, context.key("card"))
