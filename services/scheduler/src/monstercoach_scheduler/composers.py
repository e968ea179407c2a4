"""Each LST trigger's logic: the engine function that composes a fire's messages.

The LST (when, what, deadline) is shared data in :mod:`monstercoach_schemas.lst`; what a
fire sends is the scheduler's own engine code, bound here by (engine, trigger) id. The
binding is checked when this module loads: a trigger without logic, or logic for a
trigger the LST does not declare, fails at import time (and in every test).
"""

from __future__ import annotations

from types import ModuleType

from monstercoach_schemas.lst.base import Trigger
from monstercoach_schemas.lst.registry import all_engines

from .engines import checkin, jobcard, meals, weekly_scan
from .engines.base import Compose

ENGINE_MODULES: dict[str, ModuleType] = {
    "checkin": checkin,
    "jobcard": jobcard,
    "meals": meals,
    "weekly_scan": weekly_scan,
}


def _bind() -> dict[tuple[str, str], Compose]:
    declared = {engine.id: {t.trigger for t in engine.triggers} for engine in all_engines()}
    if set(declared) != set(ENGINE_MODULES):
        raise TypeError(f"engines with logic {sorted(ENGINE_MODULES)} != LST {sorted(declared)}")
    bound: dict[tuple[str, str], Compose] = {}
    for engine_id, module in ENGINE_MODULES.items():
        composers: dict[str, Compose] = module.COMPOSERS
        if set(composers) != declared[engine_id]:
            raise TypeError(
                f"{module.__name__} composes {sorted(composers)}, "
                f"the LST declares {sorted(declared[engine_id])}"
            )
        bound.update({(engine_id, trigger): fn for trigger, fn in composers.items()})
    return bound


COMPOSERS = _bind()


def compose_for(trigger: Trigger) -> Compose:
    """The function that composes ``trigger``'s messages."""
    return COMPOSERS[(trigger.engine, trigger.trigger)]
