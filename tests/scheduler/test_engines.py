"""The engine declarations (the LST): unique ids, the issue's defaults, no cross-imports."""

from __future__ import annotations

import ast
from collections.abc import Callable
from datetime import time, timedelta
from pathlib import Path
from types import ModuleType

import pytest

from monstercoach_scheduler import registry
from monstercoach_scheduler.engines import base
from monstercoach_scheduler.engines.base import (
    ClientLocalTime,
    CoachLocalTime,
    Emits,
    Engine,
    MissedPolicy,
    OnEvent,
    Trigger,
)
from monstercoach_scheduler.registry import all_engines, all_triggers
from monstercoach_schemas.domain import DeliveryKind, Weekday
from monstercoach_schemas.messages import MESSAGE_TYPES

ENGINES_DIR = Path(base.__file__).parent
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
    for module in registry.ENGINE_MODULES:
        assert module.ENGINE.id == module.__name__.rsplit(".", 1)[-1]


def test_every_engine_module_in_the_package_is_registered() -> None:
    # A new engine file that is not in the registry would silently never fire.
    on_disk = {p.stem for p in ENGINES_DIR.glob("*.py")} - {"__init__", "base"}
    registered = {m.__name__.rsplit(".", 1)[-1] for m in registry.ENGINE_MODULES}
    assert on_disk == registered


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
        "compose": lambda ctx: [],
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

ALLOWED_FIRST_PARTY = ("monstercoach_schemas", "monstercoach_kit")
BASE = "monstercoach_scheduler.engines.base"


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


def _allowed(name: str) -> bool:
    top = name.split(".")[0]
    if not top.startswith("monstercoach"):
        return True  # stdlib or third party
    return top in ALLOWED_FIRST_PARTY or name == BASE or name.startswith(BASE + ".")


def forbidden_imports(source: str, package: str = "monstercoach_scheduler.engines") -> list[str]:
    """Imports in an engine module other than stdlib/third party, schemas, kit and base."""
    return [
        name
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Import | ast.ImportFrom)
        for name in _imported_names(node, package)
        if not _allowed(name)
    ]


@pytest.mark.parametrize("module", registry.ENGINE_MODULES, ids=lambda m: m.__name__)
def test_an_engine_imports_only_base_schemas_and_kit(module: ModuleType) -> None:
    assert module.__file__ is not None
    path = Path(module.__file__)
    assert forbidden_imports(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    "source",
    [
        "from . import meals",
        "from .meals import ENGINE",
        "from monstercoach_scheduler.engines import meals",
        "from monstercoach_scheduler.engines.meals import ENGINE",
        "import monstercoach_scheduler.engines.meals",
        "from monstercoach_scheduler.registry import all_engines",
        "from .. import lst",
    ],
)
def test_the_import_check_catches_a_cross_engine_import(source: str) -> None:
    assert forbidden_imports(source) != []


@pytest.mark.parametrize(
    "source",
    [
        "from .base import Engine",
        "from monstercoach_scheduler.engines.base import Engine",
        "from monstercoach_scheduler.engines import base",
        "from monstercoach_schemas.domain import DeliveryKind",
        "import monstercoach_kit.bus",
        "from datetime import time",
    ],
)
def test_the_import_check_allows_base_schemas_kit_and_stdlib(source: str) -> None:
    assert forbidden_imports(source) == []
