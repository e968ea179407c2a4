"""Every benchmark in one run: a table of figures against their limits, and a scaling table.

Runs each benchmark as its own process (so one's memory, connections and event loop
never colour the next), in turn, with its output shown as it goes; each records its
headline figures (``figures.py``). At the end it prints

* **figures against their limits**: each hot path beside the thing that bounds it (the
  raw Redis loop for the bus, Discord's 50 requests/s for delivery, a bare endpoint of
  the same app for the api) with the ratio and the issue's target;
* **scaling**: tick time, scan time and roster latency at each roster size (default
  1,000, 10,000 and 100,000 clients), so the cost's growth is visible.

    uv run python bench/run.py                       # everything (≈ 30-40 min here)
    uv run python bench/run.py --sizes 1000 10000     # a shorter scaling run
    uv run python bench/run.py --only bus delivery    # some benchmarks
    uv run python bench/run.py --markdown             # the tables as Markdown too
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from figures import FIGURES_FILE, Figure, read
from rich.console import Console
from rich.table import Table

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Bench:
    name: str
    argv: Callable[[Sequence[int]], list[str]]
    """The script and its arguments, given the scaling sizes."""


BENCHES = (
    Bench("bus", lambda sizes: ["bus.py", "--messages", "20000"]),
    Bench("delivery", lambda sizes: ["delivery.py", "--deliveries", "3000"]),
    Bench("tick", lambda sizes: ["tick.py", "--clients", "100000", "--sizes", *map(str, sizes)]),
    Bench("scan", lambda sizes: ["scan.py", "--repeat", "3", "--clients", *map(str, sizes)]),
    Bench("api", lambda sizes: ["api.py", "--requests", "300", "--clients", *map(str, sizes)]),
)


def run_bench(bench: Bench, sizes: Sequence[int], console: Console) -> tuple[list[Figure], float]:
    """Run one benchmark in its own process; its figures and the seconds it took."""
    with tempfile.NamedTemporaryFile(suffix=".jsonl", delete=False) as handle:
        path = handle.name
    argv = bench.argv(sizes)
    console.rule(f"[bold]{bench.name}[/]: {' '.join(argv)}")
    started = time.monotonic()
    try:
        subprocess.run(
            [sys.executable, str(HERE / argv[0]), *argv[1:]],
            env={**os.environ, FIGURES_FILE: path},
            check=True,
        )
        return read(path), time.monotonic() - started
    finally:
        os.unlink(path)


def number(value: float | None, unit: str = "") -> str:
    if value is None:
        return "—"
    text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"
    return f"{text} {unit}".strip()


def verdict(met: bool | None) -> str:
    return {True: "met", False: "missed", None: ""}[met]


def limits_table(figures: Sequence[Figure]) -> Table:
    table = Table(title="Figures against their limits")
    for column in ("benchmark", "figure", "value", "limit", "limit's value", "ratio",
                   "target", ""):  # fmt: skip
        table.add_column(column, justify="right" if column in ("value", "ratio") else "left")
    for f in figures:
        if f.column is not None:
            continue  # a scaling figure
        ratio = f.ratio
        table.add_row(
            f.bench,
            f.name,
            number(f.value, f.unit),
            f.limit or "",
            number(f.limit_value, f.unit) if f.limit_value is not None else "",
            f"{ratio:.2f}" if ratio is not None else "",
            f.target or "",
            verdict(f.met),
        )
    return table


def scaling_table(figures: Sequence[Figure]) -> Table:
    scaling = [f for f in figures if f.column is not None and f.clients is not None]
    columns = list(dict.fromkeys(f.column for f in scaling if f.column))
    sizes = sorted({f.clients for f in scaling if f.clients})
    cell = {(f.clients, f.column): number(f.value) for f in scaling}  # the unit is in the column
    table = Table(title="Scaling with the roster")
    table.add_column("clients", justify="right")
    for column in columns:
        table.add_column(column, justify="right")
    for size in sizes:
        table.add_row(f"{size:,}", *(cell.get((size, column), "—") for column in columns))
    # The growth from the smallest roster to each larger one, column by column.
    values = {(f.clients, f.column): f.value for f in scaling}
    first = sizes[0] if sizes else None
    for size in sizes[1:]:
        growth = [
            f"{values[size, c] / values[first, c]:.1f}x"
            if values.get((first, c)) and (size, c) in values
            else "—"
            for c in columns
        ]
        table.add_row(f"{size // first}x clients", *growth, style="dim")
    return table


def markdown(table: Table) -> str:
    """A rich table as GitHub Markdown, for docs/benchmarks.md."""
    headers = [str(column.header) for column in table.columns]
    rows = zip(*(list(column.cells) for column in table.columns), strict=True)
    align = ["---:" if column.justify == "right" else "---" for column in table.columns]
    lines = [f"| {' | '.join(headers)} |", f"|{'|'.join(align)}|"]
    lines += [f"| {' | '.join(str(cell) for cell in row)} |" for row in rows]
    return "\n".join(lines)


def machine() -> str:
    cpus = os.cpu_count()
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{platform.machine()}, {cpus} CPUs, {memory:.0f} GiB, Python "
        f"{platform.python_version()}, load average at the end {load}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    names = [bench.name for bench in BENCHES]
    parser.add_argument("--only", nargs="+", choices=names, default=names)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--markdown", action="store_true", help="print the tables as Markdown")
    args = parser.parse_args()
    console = Console(width=140)
    figures: list[Figure] = []
    took: dict[str, float] = {}
    failed = []
    for bench in BENCHES:
        if bench.name in args.only:
            try:
                found, took[bench.name] = run_bench(bench, sorted(args.sizes), console)
            except subprocess.CalledProcessError:
                failed.append(bench.name)  # its own output says why; the others still count
                continue
            figures += found
    console.rule("[bold]MonsterCoach benchmarks")
    tables = [limits_table(figures), scaling_table(figures)]
    for table in tables:
        console.print(table)
    spent = ", ".join(f"{name} {seconds / 60:.1f} min" for name, seconds in took.items())
    console.print(f"{datetime.now(UTC):%Y-%m-%d}; {machine()}; {spent}")
    if args.markdown:
        for table in tables:
            print(f"\n{markdown(table)}")
    if failed:
        raise SystemExit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
