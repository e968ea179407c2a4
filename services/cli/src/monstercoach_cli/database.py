"""``monstercoach migrate``."""

from __future__ import annotations

import typer
from rich.console import Console

from monstercoach_kit.log import redact_text
from monstercoach_kit.settings import KitSettings

console = Console(stderr=True)


def migrate() -> None:
    """Apply database migrations up to the latest revision (a no-op when up to date)."""
    # Imported here: alembic and SQLAlchemy are a second of start-up that every other
    # command (`monstercoach tick`, run in a loop by the simulator) would pay for.
    from monstercoach_kit.migrate import create_database_if_missing, head_revision, upgrade

    settings = KitSettings()
    url = settings.direct_database_url
    console.print(f"migrating [bold]{redact_text(url)}[/bold] to revision {head_revision()}")
    try:
        if create_database_if_missing(url):
            console.print("created the database")
        upgrade(url)
    except OSError as exc:
        console.print(f"[red]cannot reach PostgreSQL:[/red] {exc}")
        raise typer.Exit(1) from exc
    console.print("[green]database is up to date[/green]")


def register(app: typer.Typer) -> None:
    app.command()(migrate)
