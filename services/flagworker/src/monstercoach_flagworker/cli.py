"""``monstercoach scan``: run a scan directly (no stream); ``flags-eval`` and
``flags-optimize``: score and compile the DSPy program on the labelled weeks. Registered
through the ``monstercoach.cli`` entry-point group so the CLI package never imports this
service."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Literal, NoReturn
from uuid import UUID

import asyncpg
import typer
from pydantic import TypeAdapter, ValidationError
from redis.exceptions import RedisError
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from monstercoach_kit.bus import open_bus
from monstercoach_kit.db import create_pool
from monstercoach_kit.log import redact_text
from monstercoach_kit.settings import KitSettings
from monstercoach_schemas.messages import ScanRequestedPayload
from monstercoach_schemas.types import IsoWeek

from .review import build_reviewer
from .scan import Scanner, ScanOutcome, ScanRejected
from .settings import FlagSettings

console = Console()
err_console = Console(stderr=True)
CONNECT_TIMEOUT_SECONDS = 10.0
_WEEK = TypeAdapter(IsoWeek)


def last_completed_week(now: datetime) -> str:
    """The ISO week before the current one (in UTC): every client has lived all of it."""
    year, week, _ = (now.astimezone(UTC) - timedelta(weeks=1)).isocalendar()
    return f"{year}-W{week:02d}"


def _valid_week(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return _WEEK.validate_python(value)
    except ValidationError as exc:
        error = exc.errors()[0]
        if error["type"] == "value_error":  # a well-formed week that the year lacks
            raise typer.BadParameter(str(error["ctx"]["error"])) from None
        raise typer.BadParameter("expected an ISO week such as 2026-W47") from None


async def _run(request: ScanRequestedPayload, progress: Progress) -> ScanOutcome:
    kit = KitSettings()
    pool = await create_pool(kit, min_size=1, max_size=2, timeout=CONNECT_TIMEOUT_SECONDS)
    try:
        async with open_bus(kit) as bus:
            scanner = Scanner(pool, bus, FlagSettings(), build_reviewer())
            task = progress.add_task("", total=None)
            return await scanner.scan(
                request,
                on_progress=lambda done, total: progress.update(task, completed=done, total=total),
            )
    finally:
        await pool.close()


def _print_outcome(outcome: ScanOutcome) -> None:
    table = Table("flag", "high", "medium", "low", title=f"scan {outcome.iso_week}")
    counts = Counter((flag.code, flag.severity.value) for flag in outcome.flags)
    for code in sorted({flag.code for flag in outcome.flags}):
        table.add_row(code, *(str(counts[code, s]) for s in ("high", "medium", "low")))
    console.print(table)
    flagged = len({flag.client_id for flag in outcome.flags})
    console.print(
        f"{outcome.clients} clients scanned, {flagged} flagged, {len(outcome.flags)} flags "
        f"published; digest sent to {outcome.digests} coaches."
    )


def scan_command(
    week: Annotated[
        str | None,
        typer.Option(help="ISO week such as 2026-W47 (default: last week)", callback=_valid_week),
    ] = None,
    client: Annotated[
        UUID | None, typer.Option(help="Scan this client only (no coach digest)")
    ] = None,
) -> None:
    """Scan a week now: flag clients and send the coach digest (rules-only unless an LM
    is configured)."""
    request = ScanRequestedPayload(
        iso_week=week or last_completed_week(datetime.now(UTC)),
        client_id=client,
        requested_by="cli",
    )
    columns = (TextColumn(f"scanning {request.iso_week}"), BarColumn(), MofNCompleteColumn())
    try:
        with Progress(*columns, console=console, transient=True) as progress:
            outcome = asyncio.run(_run(request, progress))
    except ScanRejected as exc:
        _fail(str(exc))
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, RedisError) as exc:
        # Safe to run again: a re-run publishes the same flag and digest keys.
        _fail(f"scan failed: {redact_text(str(exc))}")
    _print_outcome(outcome)


def _fail(message: str) -> NoReturn:
    # Escaped: driver messages contain brackets ("[Errno 111]") that rich would eat.
    err_console.print(f"[red]error:[/red] {escape(message)}", highlight=False)
    raise typer.Exit(1)


STAND_IN_HELP = (
    "Use a DummyLM that answers from the labels instead of DSPY_LM: runs without a model, "
    "and its scores say nothing about one"
)


def flags_eval_command(
    stand_in: Annotated[bool, typer.Option("--stand-in", help=STAND_IN_HELP)] = False,
    split: Annotated[
        Literal["dev", "train", "all"],
        typer.Option(help="Which labelled weeks: the optimizer's held-out dev split, or more"),
    ] = "dev",
    threads: Annotated[int, typer.Option(min=1, max=64, help="Weeks scored at once")] = 4,
) -> None:
    """Precision and recall per flag code on the labelled weeks: the rules alone, and the
    rules plus the DSPy program with the configured LM (DSPY_LM)."""
    from .evaluation.commands import flags_eval

    flags_eval(console, stand_in=stand_in, which=split, threads=threads)


def flags_optimize_command(
    stand_in: Annotated[bool, typer.Option("--stand-in", help=STAND_IN_HELP)] = False,
    optimizer: Annotated[
        Literal["bootstrap", "mipro"],
        typer.Option(help="BootstrapFewShot, or MIPROv2 (needs a real LM and optuna)"),
    ] = "bootstrap",
    out: Annotated[
        Path | None,
        typer.Option(
            help="Where to save the program JSON (default: DSPY_PROGRAM_PATH, else "
            "the one shipped with the flag worker)"
        ),
    ] = None,
    max_demos: Annotated[int, typer.Option(min=0, max=16, help="Demos per predictor")] = 4,
    threads: Annotated[int, typer.Option(min=1, max=64, help="Weeks run at once")] = 4,
) -> None:
    """Compile the DSPy program on the labelled weeks' train split, score it on the dev
    split and save it as JSON, which the flag worker loads."""
    from .evaluation.commands import NoLanguageModel, flags_optimize

    try:
        flags_optimize(
            console,
            stand_in=stand_in,
            optimizer=optimizer,
            out=out,
            max_demos=max_demos,
            threads=threads,
        )
    except NoLanguageModel:
        _fail(
            "no language model: set DSPY_LM (and DSPY_API_BASE for a local server), "
            "or pass --stand-in"
        )
    except (ValueError, RuntimeError) as exc:
        _fail(str(exc))


def register(app: typer.Typer) -> None:
    app.command("scan")(scan_command)
    app.command("flags-eval")(flags_eval_command)
    app.command("flags-optimize")(flags_optimize_command)
