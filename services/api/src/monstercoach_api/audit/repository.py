"""Writes to ``audit_log``, inside the transaction of the write being recorded, so the
write and its audit row happen together or not at all."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import asyncpg


async def record(
    conn: asyncpg.Connection,
    coach_discord_id: str,
    action: str,
    target: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> None:
    """Record ``action`` (``auth.login``, ``flag.resolve``…) by a coach on ``target``."""
    await conn.execute(
        "INSERT INTO audit_log (coach_discord_id, action, target, details) VALUES ($1, $2, $3, $4)",
        coach_discord_id,
        action,
        target,
        dict(details or {}),
    )
