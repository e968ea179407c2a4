"""Helpers for list filters given as repeated query parameters."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum


def values_of(items: Sequence[StrEnum] | None) -> list[str] | None:
    """``?status=a&status=b`` as the text array SQL compares with ``= ANY``; ``None``
    (no filter) when the parameter was not given."""
    return None if items is None else [item.value for item in items]
