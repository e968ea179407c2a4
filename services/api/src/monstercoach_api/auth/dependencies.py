"""What coach routes depend on: the signed session cookie of an allowlisted coach."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie

from ..errors import ApiError
from ..settings import ApiSettings
from .schemas import CoachSession
from .session import SESSION_COOKIE, ExpiredToken, InvalidToken, Sessions

# Declared as a security scheme so the OpenAPI document says how coach routes authenticate.
session_cookie = APIKeyCookie(
    name=SESSION_COOKIE,
    auto_error=False,
    description="Session cookie set by `/auth/callback` after a Discord login.",
)


def get_api_settings(request: Request) -> ApiSettings:
    settings: ApiSettings = request.app.state.api_settings
    return settings


def get_sessions(request: Request) -> Sessions:
    sessions: Sessions = request.app.state.sessions
    return sessions


def ensure_coach(settings: ApiSettings, discord_user_id: str) -> None:
    if discord_user_id not in settings.coach_discord_ids:
        raise ApiError(
            403,
            "not_a_coach",
            f"Discord user {discord_user_id} is not one of this practice's coaches "
            "(COACH_DISCORD_IDS); ask the owner to add you.",
        )


async def require_coach(
    request: Request, token: Annotated[str | None, Depends(session_cookie)]
) -> CoachSession:
    """401 without a valid, unexpired session; 403 if its coach was since removed."""
    if not token:
        raise ApiError(401, "not_authenticated", "Log in with Discord to use Battle Station.")
    try:
        session = get_sessions(request).decode(token, datetime.now(UTC))
    except ExpiredToken as exc:
        raise ApiError(401, "session_expired", "Your session has expired; log in again.") from exc
    except InvalidToken as exc:
        raise ApiError(401, "invalid_session", "Your session is not valid; log in again.") from exc
    ensure_coach(get_api_settings(request), session.discord_user_id)
    return session


CoachDep = Annotated[CoachSession, Depends(require_coach)]
"""Put on a coach route (or ``APIRouter(dependencies=[Depends(require_coach)])``)."""
