"""``/auth``: Discord login (authorization code + state + PKCE), logout, who am I."""

from __future__ import annotations

import hmac
import ipaddress
from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import urlencode

import asyncpg
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import RedirectResponse

from monstercoach_kit.log import get_logger

from ..audit.repository import record
from ..db import ConnectionDep
from ..errors import ApiError, error_responses
from ..settings import ApiSettings
from .dependencies import (
    CoachDep,
    ensure_coach,
    get_api_settings,
    get_sessions,
    session_cookie,
)
from .schemas import CoachSession, DevLoginRequest
from .service import DiscordOAuth
from .session import OAUTH_COOKIE, InvalidToken, LoginState, Sessions

log = get_logger(__name__)

SettingsDep = Annotated[ApiSettings, Depends(get_api_settings)]
SessionsDep = Annotated[Sessions, Depends(get_sessions)]

router = APIRouter(prefix="/auth", tags=["auth"], responses=error_responses(429))


def _now() -> datetime:
    return datetime.now(UTC)


@router.get(
    "/login",
    status_code=302,
    response_class=RedirectResponse,
    responses={302: {"description": "To Discord's consent page"}, **error_responses(503)},
)
async def auth_login(settings: SettingsDep, sessions: SessionsDep) -> RedirectResponse:
    """Start a Discord login: remember state and PKCE verifier in a signed cookie."""
    login = LoginState.new()
    response = RedirectResponse(DiscordOAuth(settings).authorize_url(login), status_code=302)
    sessions.set_login_cookie(response, login, _now())
    return response


def _started_login(request: Request, sessions: Sessions, state: str | None) -> LoginState:
    """The login this browser started, if ``state`` is the one it was given (else this is
    a forged or stale callback: someone else's code must never log this browser in)."""
    mismatch = ApiError(
        400,
        "oauth_state_mismatch",
        "This login link does not belong to this browser or has expired; log in again.",
    )
    token = request.cookies.get(OAUTH_COOKIE)
    if not (token and state):
        raise mismatch
    try:
        login = sessions.read_login(token, _now())
    except InvalidToken as exc:
        raise mismatch from exc
    if not hmac.compare_digest(login.state.encode(), state.encode()):
        raise mismatch
    return login


@router.get(
    "/callback",
    status_code=303,
    response_class=RedirectResponse,
    responses={
        303: {"description": "Logged in: to Battle Station, with the session cookie"},
        **error_responses(400, 403, 422, 502, 503),
    },
)
async def auth_callback(
    request: Request,
    settings: SettingsDep,
    sessions: SessionsDep,
    conn: ConnectionDep,
    state: Annotated[str | None, Query(max_length=200)] = None,
    code: Annotated[str | None, Query(max_length=200)] = None,
    error: Annotated[str | None, Query(max_length=200)] = None,
) -> RedirectResponse:
    """Discord sends the browser back here: check state, exchange the code, check the
    allowlist, set the session cookie.

    A browser (it asks for HTML) that cannot be logged in is sent back to Battle
    Station's login page with the error code, not left on a page of JSON; any other
    client gets the status and the error shape.
    """
    try:
        return await _complete_login(request, settings, sessions, conn, state, code, error)
    except ApiError as exc:
        if "text/html" not in request.headers.get("accept", ""):
            raise
        login_page = f"{settings.web_url.rstrip('/')}/login?{urlencode({'error': exc.code})}"
        back = RedirectResponse(login_page, status_code=303)
        sessions.clear_login_cookie(back)
        return back


async def _complete_login(
    request: Request,
    settings: ApiSettings,
    sessions: Sessions,
    conn: asyncpg.Connection,
    state: str | None,
    code: str | None,
    error: str | None,
) -> RedirectResponse:
    login = _started_login(request, sessions, state)
    if error or not code:
        raise ApiError(
            400, "oauth_denied", f"Discord did not grant the login ({error or 'no code'})."
        )
    user = await DiscordOAuth(settings).identify(code, login)
    try:
        ensure_coach(settings, user.id)
    except ApiError:
        log.warning("login refused: not a coach", status="denied", discord_user_id=user.id)
        raise
    session = sessions.issue(user.id, user.username, _now())
    await record(conn, user.id, "auth.login", details={"username": user.username})
    log.info("coach logged in", status="ok", discord_user_id=user.id)
    response = RedirectResponse(settings.web_url, status_code=303)
    sessions.clear_login_cookie(response)
    sessions.set_session_cookie(response, session)
    return response


@router.post("/logout", status_code=204, response_class=Response)
async def auth_logout(
    sessions: SessionsDep,
    conn: ConnectionDep,
    token: Annotated[str | None, Depends(session_cookie)],
) -> Response:
    """End the session in this browser (always succeeds, logged in or not)."""
    if token:
        try:
            session = sessions.decode(token, _now())
        except InvalidToken:  # expired or forged: nothing to record, the cookie still goes
            pass
        else:
            await record(conn, session.discord_user_id, "auth.logout")
    response = Response(status_code=204)
    sessions.clear_session_cookie(response)
    return response


@router.get("/me", responses=error_responses(401, 403))
async def auth_me(coach: CoachDep) -> CoachSession:
    """The logged-in coach and when the session ends."""
    return coach


dev_router = APIRouter(prefix="/auth", tags=["auth"], responses=error_responses(429))


@dev_router.post("/dev-login", responses=error_responses(403, 422, 503))
async def auth_dev_login(
    request: Request,
    response: Response,
    settings: SettingsDep,
    sessions: SessionsDep,
    conn: ConnectionDep,
    body: DevLoginRequest | None = None,
) -> CoachSession:
    """Local development only: log in as an allowlisted coach without Discord.

    Exists only with ``API_DEV_LOGIN=true`` outside production, and answers only
    requests from this machine (the socket peer, never a header)."""
    peer = request.client.host if request.client else ""
    if not _is_loopback(peer):
        raise ApiError(403, "dev_login_not_local", "Dev login only works from this machine.")
    wanted = body.discord_user_id if body else None
    discord_user_id = wanted or min(settings.coach_discord_ids, default="")
    if not discord_user_id:
        raise ApiError(403, "not_a_coach", "Set COACH_DISCORD_IDS to use the dev login.")
    ensure_coach(settings, discord_user_id)
    session = sessions.issue(discord_user_id, "dev login", _now())
    await record(conn, discord_user_id, "auth.dev_login")
    log.warning("dev login used", status="ok", discord_user_id=discord_user_id)
    sessions.set_session_cookie(response, session)
    return session


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
