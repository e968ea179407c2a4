"""The figures a benchmark hands to ``bench/run.py`` (``make bench``), beside its own tables.

Each benchmark prints its detailed table for a reader; it also records its headline
figures here so that one run can put every capability side by side: a figure against
the limit it is measured by (a raw Redis loop, Discord's 50 requests/s, a bare endpoint
of the same app), and the figures that grow with the roster in a scaling table.
``run.py`` names the file through ``MC_BENCH_FIGURES``; run alone, a benchmark records
nothing.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass

FIGURES_FILE = "MC_BENCH_FIGURES"


@dataclass(frozen=True)
class Figure:
    bench: str
    """The benchmark: bus, delivery, tick, scan, api."""
    name: str
    """What was measured, e.g. ``"jobs/s, batch 100"``."""
    value: float
    unit: str
    limit: str | None = None
    """What ``value`` is held against, e.g. ``"raw Redis loop"``."""
    limit_value: float | None = None
    target: str | None = None
    """The issue's target, e.g. ``"ratio ≥ 0.50"`` or ``"< 100 ms"``."""
    met: bool | None = None
    clients: int | None = None
    """The roster size, for figures that belong in the scaling table."""
    column: str | None = None
    """The scaling table's column, e.g. ``"tick, 1,000 due (ms)"``."""

    @property
    def ratio(self) -> float | None:
        return None if not self.limit_value else self.value / self.limit_value


def record(*figures: Figure) -> None:
    """Append ``figures`` to the run's figures file (JSON lines), if there is one."""
    path = os.environ.get(FIGURES_FILE)
    if not path:
        return
    with open(path, "a", encoding="utf-8") as out:
        for figure in figures:
            out.write(json.dumps(asdict(figure)) + "\n")


def read(path: str) -> list[Figure]:
    with open(path, encoding="utf-8") as lines:
        return [Figure(**json.loads(line)) for line in lines if line.strip()]
