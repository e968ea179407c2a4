"""Building a client's export, and writing it as CSV files a spreadsheet opens cleanly.

CSV choices, for a coach double-clicking the file: one CSV per section in a zip (the
sections have different columns, so one sheet each); UTF-8 with a byte-order mark, which
is what makes Excel read accents and emoji right; nested values flattened to
``targets.kcal`` columns, lists of words joined with spaces, lists of objects as JSON.
A text cell that starts with ``= + - @`` (or a tab or carriage return) gets a leading
apostrophe so a spreadsheet shows it as text instead of running it as a formula (a
client could otherwise plant a formula in a note). The JSON export is never altered.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
from pydantic import BaseModel

from ..clients.repository import profile_row
from ..clients.service import profile_of
from ..flags.repository import FlagFilters, list_flags
from ..flags.schemas import FlagView
from ..paging import Paging
from ..schedule.repository import overrides
from ..timeline.repository import timeline
from ..timeline.schemas import EntryKind, JobCardEntry, JobCardItem
from .schemas import ClientExport, ScheduleOverrideRow

EVERY_ROW = Paging(limit=None)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# Export section per timeline kind (the timeline is the one reader of those tables).
SECTIONS = {
    EntryKind.CHECKIN: "checkins",
    EntryKind.WEIGHT: "weights",
    EntryKind.MEAL: "meals",
    EntryKind.WORKOUT: "workouts",
    EntryKind.JOB_CARD: "job_cards",
    EntryKind.DELIVERY: "deliveries",
    EntryKind.MISSED: "missed",
    EntryKind.DM: "messages",
}


async def client_export(conn: asyncpg.Connection, client_id: UUID, at: datetime) -> ClientExport:
    profile = profile_of(await profile_row(conn, client_id))
    entries, _ = await timeline(conn, client_id, list(EntryKind))
    sections: dict[str, list[Any]] = {name: [] for name in SECTIONS.values()}
    for entry, _position in reversed(entries):  # oldest first
        sections[SECTIONS[entry.kind]].append(entry)
    flags, _ = await list_flags(conn, FlagFilters(client_id=client_id), EVERY_ROW)
    return ClientExport(
        exported_at=at,
        profile=profile,
        schedule_overrides=[
            ScheduleOverrideRow(**dict(row)) for row in (await overrides(conn, client_id)).values()
        ],
        flags=[FlagView.model_validate(dict(row)) for row in flags],
        **sections,
    )


# --- CSV ----------------------------------------------------------------------------------


def _cell(value: Any) -> Any:
    if isinstance(value, list):
        if all(isinstance(item, str) for item in value):
            value = " ".join(value)
        else:
            return json.dumps(value, ensure_ascii=False)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _flat(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            flat.update(_flat(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = _cell(value)
    return flat


def _rows(models: Sequence[BaseModel]) -> list[dict[str, Any]]:
    return [_flat(model.model_dump(mode="json", exclude={"kind"})) for model in models]


JOB_CARD_ITEM_COLUMNS = [
    "card_id",
    "local_date",
    "issued_at",
    *(f"item.{name}" for name in JobCardItem.model_fields),
]


def _job_card_items(cards: Sequence[JobCardEntry]) -> list[dict[str, Any]]:
    """One row per item: a spreadsheet filters and counts rows, not nested lists."""
    return [
        {
            "card_id": str(card.id),
            "local_date": card.local_date.isoformat(),
            "issued_at": card.at.isoformat(),
            **_flat(item.model_dump(mode="json"), "item."),
        }
        for card in cards
        for item in card.items
    ]


def _csv(rows: list[dict[str, Any]], columns: list[str]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def _columns(model: type[BaseModel]) -> list[str]:
    """Header of a section that has no rows (a filled one takes its first row's keys)."""
    return [name for name in model.model_fields if name != "kind"]


def csv_files(export: ClientExport) -> Iterator[tuple[str, bytes]]:
    """``(file name, content)`` per section, in the JSON document's order."""
    for name, field in ClientExport.model_fields.items():
        value = getattr(export, name)
        if name == "exported_at":
            continue
        if name == "job_cards":
            yield "job_card_items.csv", _csv(_job_card_items(value), JOB_CARD_ITEM_COLUMNS)
            continue
        rows = _rows([value] if isinstance(value, BaseModel) else value)
        columns = list(rows[0]) if rows else _columns(_item_type(field.annotation))
        yield f"{name}.csv", _csv(rows, columns)


def _item_type(annotation: Any) -> type[BaseModel]:
    """``M`` of a ``list[M]`` section."""
    (item,) = annotation.__args__
    assert isinstance(item, type)
    assert issubclass(item, BaseModel)
    return item


def csv_zip(export: ClientExport) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in csv_files(export):
            archive.writestr(name, content)
    return buffer.getvalue()
