"""The scheduler's contribution to ``monstercoach generate`` (entry-point group
``monstercoach.generators``), so the CLI writes the LST without importing this service.
"""

from __future__ import annotations

from collections.abc import Callable

from .lst import render_lst_master


def generators() -> list[tuple[str, Callable[[], str]]]:
    """``(path relative to the repository root, render function)`` pairs."""
    return [("docs/LST_Master.md", render_lst_master)]
