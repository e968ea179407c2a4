"""``monstercoach tick --at`` and ``monstercoach schedule <client>`` (a ``monstercoach.cli``
plugin, so the ops CLI gains them without importing the scheduler)."""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

import asyncpg
import typer
from rich.console import Console
from rich.table import Table

from monstercoach_kit.bus import open_bus
from monstercoach_kit.db import create_pool
from monstercoach_kit.settings import KitSettings
from monstercoach_schemas.lst.plan import Override, client_triggers, deadline_at, next_client_fire
from monstercoach_schemas.lst.timing import InvalidScheduleError, local_wall

from . import store
from .service import coach_zone
from .settings import SchedulerSettings
from .tick import Ticker

console = Console()


def _instant(value: str) -> datetime:
    try:
        at = datetime.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(f"not an ISO 8601 time: {value!r}") from exc
    if at.tzinfo is None:
        raise typer.BadParameter("give an offset, e.g. 2026-11-26T07:00:00+00:00 or ...Z")
    return at.astimezone(UTC)


def tick(
    at: Annotated[
        str | None, typer.Option(help="ISO 8601 time with offset to tick as (default: now)")
    ] = None,
) -> None:
    """Run one tick (client and coach triggers) as if it were ``--at``."""
    now = _instant(at) if at else datetime.now(UTC)

    async def run() -> dict[str, object]:
        kit, settings = KitSettings(), SchedulerSettings()
        pool = await create_pool(kit, min_size=1, max_size=2)
        try:
            async with open_bus(kit) as bus:
                ticker = Ticker(pool, bus, settings, await coach_zone(pool, settings))
                await ticker.prepare(now)
                report = await ticker.tick(now)
                coach = await ticker.coach_tick(now)
        finally:
            await pool.close()
        merged = asdict(report)
        merged["coach_fires"] = coach.coach_fires
        return merged

    report = asyncio.run(run())
    table = Table("tick at", now.isoformat())
    for name, value in report.items():
        if name != "at":
            table.add_row(name.replace("_", " "), str(value if value is not None else "—"))
    console.print(table)


def schedule(client: Annotated[str, typer.Argument(help="client id or Discord user id")]) -> None:
    """A client's next fires, in their local time and in UTC."""

    async def run() -> tuple[asyncpg.Record, dict[tuple[str, str], Override | None]]:
        conn = await asyncpg.connect(KitSettings().database_url)
        try:
            row = await _find_client(conn, client)
            overrides = {
                (o["engine"], o["trigger"]): store.override_of(o)
                for o in await conn.fetch(store.SELECT_OVERRIDES, [row["client_id"]])
            }
        finally:
            await conn.close()
        return row, overrides

    row, overrides = asyncio.run(run())
    zone_name = row["time_zone"]
    now = datetime.now(UTC)
    console.print(f"[bold]{row['display_name']}[/] · {zone_name} · {row['status']}")
    table = Table("trigger", "local time", "UTC", "deadline (local)", "schedule")
    for trigger in client_triggers():
        override = overrides.get((trigger.engine, trigger.trigger))
        try:
            fire = next_client_fire(trigger, zone_name, override, now)
        except InvalidScheduleError as exc:
            raise typer.BadParameter(f"this client's schedule cannot run: {exc}") from exc
        source = "default" if override is None else "override"
        name = f"{trigger.engine}.{trigger.trigger}"
        if fire is None:
            table.add_row(name, "off", "—", "—", source)
            continue
        deadline = deadline_at(trigger, fire, zone_name)
        table.add_row(
            name,
            local_wall(fire.at, zone_name).strftime("%a %Y-%m-%d %H:%M %Z"),
            fire.at.strftime("%Y-%m-%d %H:%M UTC"),
            local_wall(deadline, zone_name).strftime("%H:%M") if deadline else "—",
            source,
        )
    console.print(table)
    if row["status"] != "active":
        console.print(f"[yellow]The client is {row['status']}: nothing fires until active.[/]")


async def _find_client(conn: asyncpg.Connection, ref: str) -> asyncpg.Record:
    try:
        by_id: UUID | None = UUID(ref)
    except ValueError:
        by_id = None
    row: asyncpg.Record | None = await conn.fetchrow(
        "SELECT id AS client_id, display_name, time_zone, status FROM clients "
        "WHERE id = $1 OR discord_user_id = $2",
        by_id,
        ref,
    )
    if row is None:
        raise typer.BadParameter(f"no client with id or Discord id {ref!r}")
    return row


def register(app: typer.Typer) -> None:
    app.command("tick")(tick)
    app.command("schedule")(schedule)
