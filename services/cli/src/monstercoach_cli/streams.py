"""``monstercoach streams status`` and ``monstercoach dead-letters list|replay``."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from monstercoach_kit.bus import open_bus
from monstercoach_kit.settings import KitSettings
from monstercoach_schemas.streams import Stream

console = Console()
streams_app = typer.Typer(help="Inspect the Redis streams.", no_args_is_help=True)
dead_letters_app = typer.Typer(help="List and replay dead letters.", no_args_is_help=True)


@streams_app.command("status")
def status() -> None:
    """Length of each stream, and pending and lag per consumer group."""

    async def run() -> None:
        async with open_bus(KitSettings()) as bus:
            rows = await bus.status([s.value for s in Stream])
        table = Table("stream", "length", "group", "consumers", "pending", "lag")
        for row in rows:
            if not row.groups:
                table.add_row(row.stream, str(row.length), "-", "-", "-", "-")
            for group in row.groups:
                lag = "?" if group.lag is None else str(group.lag)
                table.add_row(
                    row.stream,
                    str(row.length),
                    group.name,
                    str(group.consumers),
                    str(group.pending),
                    lag,
                )
        console.print(table)

    asyncio.run(run())


@dead_letters_app.command("list")
def list_dead_letters(
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="How many to show")] = 50,
) -> None:
    """Dead letters, oldest first, with the error that put them there."""

    async def run() -> None:
        async with open_bus(KitSettings()) as bus:
            letters = await bus.dead_letters(count=limit)
            total = await bus.dead_letter_count()
        table = Table("id", "stream", "type", "deliveries", "error", "at")
        for letter in letters:
            table.add_row(
                letter.id,
                letter.stream,
                letter.type or "?",
                str(letter.deliveries),
                letter.error[:120],
                letter.dead_lettered_at,
            )
        console.print(table)
        console.print(f"{len(letters)} shown of {total} dead letters")

    asyncio.run(run())


@dead_letters_app.command("replay")
def replay(
    ids: Annotated[list[str] | None, typer.Argument(help="Dead-letter ids to replay")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Replay every dead letter")] = False,
) -> None:
    """Put dead letters back on their stream (idempotency keys keep effects single)."""
    if not ids and not all_:
        console.print("[red]give dead-letter ids or --all[/red]")
        raise typer.Exit(2)

    async def run() -> int:
        async with open_bus(KitSettings()) as bus:
            targets = ids or [letter.id for letter in await bus.dead_letters(count=100_000)]
            missing = 0
            for dead_letter_id in targets:
                try:
                    new_id = await bus.replay_dead_letter(dead_letter_id)
                except KeyError:
                    console.print(f"[red]no dead letter {dead_letter_id}[/red]")
                    missing += 1
                else:
                    console.print(f"replayed {dead_letter_id} as {new_id}")
            return missing

    if asyncio.run(run()):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.add_typer(streams_app, name="streams")
    app.add_typer(dead_letters_app, name="dead-letters")
