"""The explicit list of engines the scheduler runs.

Explicit rather than discovered (no package scan, no entry points): adding an engine is
a one-line, reviewable change here, and the order below is the order of the LST.
"""

from __future__ import annotations

from types import ModuleType

from . import checkin, jobcard, meals, weekly_scan
from .base import Engine, Trigger

ENGINE_MODULES: tuple[ModuleType, ...] = (checkin, jobcard, meals, weekly_scan)


def _engine_of(module: ModuleType) -> Engine:
    engine = getattr(module, "ENGINE", None)
    if not isinstance(engine, Engine):
        raise TypeError(f"{module.__name__} must define ENGINE = Engine(...)")
    return engine


def all_engines() -> tuple[Engine, ...]:
    """Every engine, in registry order; engine ids are unique."""
    engines = tuple(_engine_of(module) for module in ENGINE_MODULES)
    ids = [engine.id for engine in engines]
    if len(set(ids)) != len(ids):
        raise ValueError(f"engine ids repeat: {ids!r}")
    return engines


def all_triggers() -> tuple[Trigger, ...]:
    """Every trigger of every engine, in LST order."""
    return tuple(trigger for engine in all_engines() for trigger in engine.triggers)
