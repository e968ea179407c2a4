"""Assembling a client's details, and applying a coach's profile edit."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from monstercoach_schemas.domain import Targets

from ..compliance.repository import compliance
from . import repository
from .schemas import ClientDetail, ClientProfile, ClientSummary, ClientUpdate, calendar_order


def profile_of(row: asyncpg.Record) -> ClientProfile:
    """The profile from a :data:`repository.PROFILE_COLUMNS` row (``target_*`` columns and
    ``training_days`` make up the targets)."""
    data = dict(row)
    targets = {
        name.removeprefix("target_"): data.pop(name)
        for name in list(data)
        if name.startswith("target_")
    }
    training_days = data.pop("training_days")
    return ClientProfile(**data, targets=Targets(**targets, training_days=training_days))


async def detail(conn: asyncpg.Connection, at: datetime, client_id: UUID) -> ClientDetail:
    profile = profile_of(await repository.profile_row(conn, client_id))
    # The roster's row, from the same statement as the roster's (one definition).
    summary = ClientSummary.model_validate_json(await repository.summary_json(conn, at, client_id))
    (figures,) = await compliance(conn, at, [client_id])
    return ClientDetail(profile=profile, summary=summary, compliance_28d=figures.last_28_days)


def edited(current: ClientProfile, update: ClientUpdate) -> ClientProfile:
    """``current`` with the fields ``update`` sent (targets merged field by field)."""
    changes: dict[str, Any] = {
        name: getattr(update, name) for name in update.model_fields_set if name != "targets"
    }
    if update.targets is not None:
        sent = update.targets.model_dump(include=update.targets.model_fields_set)
        if "training_days" in sent:
            sent["training_days"] = calendar_order(update.targets.training_days)
        changes["targets"] = current.targets.model_copy(update=sent)
    return current.model_copy(update=changes)


def editable_values(profile: ClientProfile) -> tuple[object, ...]:
    """The editable columns in :data:`repository.UPDATE_PROFILE` order."""
    t = profile.targets
    return (
        profile.display_name,
        profile.time_zone,
        profile.goal.value,
        profile.goal_weight_kg,
        t.kcal,
        t.protein_g,
        t.carbs_g,
        t.fat_g,
        t.steps,
        t.water_ml,
        [day.value for day in t.training_days],
    )


def differences(before: ClientProfile, after: ClientProfile) -> dict[str, dict[str, Any]]:
    """What an edit changed, for the audit log: ``{field: {"from": …, "to": …}}``."""
    old, new = _flat(before), _flat(after)
    return {key: {"from": old[key], "to": new[key]} for key in new if old[key] != new[key]}


def _flat(profile: ClientProfile) -> dict[str, Any]:
    data = profile.model_dump(
        mode="json", include={"display_name", "time_zone", "goal", "goal_weight_kg", "targets"}
    )
    targets = data.pop("targets")
    return {**data, **{f"targets.{key}": value for key, value in targets.items()}}
