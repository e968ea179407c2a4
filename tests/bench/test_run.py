"""`make bench`'s harness: figures recorded by a benchmark process come back as tables."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import figures
import run


def test_figures_recorded_by_a_benchmark_are_read_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "figures.jsonl"
    monkeypatch.setenv(figures.FIGURES_FILE, str(path))
    bus = figures.Figure("bus", "jobs/s", 21_000, "/s", limit="raw", limit_value=42_000)
    tick = figures.Figure("tick", "1,000 due", 80, "ms", clients=1_000, column="tick (ms)")
    figures.record(bus)
    figures.record(tick)

    assert figures.read(str(path)) == [bus, tick]
    assert bus.ratio == 0.5


def test_a_benchmark_run_alone_records_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(figures.FIGURES_FILE, raising=False)
    figures.record(figures.Figure("bus", "jobs/s", 1, "/s"))  # no file, no error


def test_the_scaling_table_shows_each_columns_growth_against_the_smallest_roster() -> None:
    found = [
        figures.Figure("tick", "t", value, "ms", clients=clients, column="tick (ms)")
        for clients, value in ((1_000, 50.0), (10_000, 55.0), (100_000, 60.0))
    ] + [figures.Figure("scan", "s", 0.2, "s", clients=1_000, column="scan (s)")]

    table = run.markdown(run.scaling_table(found))

    assert table.splitlines()[0] == "| clients | tick (ms) | scan (s) |"
    assert "| 10,000 | 55 | — |" in table
    assert "| 100x clients | 1.2x | — |" in table


def test_the_limits_table_holds_every_figure_but_the_scaling_ones() -> None:
    found = [
        figures.Figure("bus", "jobs/s", 21_000, "/s", "raw loop", 42_000, "ratio ≥ 0.50", True),
        figures.Figure("tick", "t", 60, "ms", clients=1_000, column="tick (ms)"),
    ]

    table = run.markdown(run.limits_table(found))

    row = "| bus | jobs/s | 21,000 /s | raw loop | 42,000 /s | 0.50 | ratio ≥ 0.50 | met |"
    assert row in table
    assert "tick" not in table
