"""How every Battle Station router is declared: behind the coach session, with the
errors any coach route can answer documented once."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from .auth.dependencies import require_coach
from .errors import error_responses


def coach_router(tag: str, prefix: str = "") -> APIRouter:
    """A router whose every route needs a coach session (401/403), may be rate limited
    (429) and may find PostgreSQL or Redis unavailable (503)."""
    return APIRouter(
        prefix=prefix,
        tags=[tag],
        dependencies=[Depends(require_coach)],
        responses=error_responses(401, 403, 429, 503),
    )
