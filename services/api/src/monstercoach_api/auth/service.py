"""Discord's side of the login: the authorize URL, the code exchange, the user's identity.

Only ``identify`` is asked for, and Discord's access token is used once (to read the
user's id) and then dropped: Battle Station never acts on Discord as the coach.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx

from monstercoach_kit.log import get_logger

from ..errors import ApiError
from ..settings import ApiSettings
from .session import LoginState

log = get_logger(__name__)

SCOPE = "identify"
API_PATH = "/api/v10"
HTTP_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class DiscordUser:
    id: str
    username: str


class DiscordOAuth:
    def __init__(self, settings: ApiSettings):
        if not (settings.discord_client_id and settings.discord_client_secret):
            raise ApiError(
                503,
                "login_not_configured",
                "Discord login is not configured: set DISCORD_CLIENT_ID and DISCORD_CLIENT_SECRET.",
            )
        self.base_url = settings.discord_oauth_base_url
        self.client_id = settings.discord_client_id
        self.client_secret = settings.discord_client_secret.get_secret_value()
        self.redirect_uri = settings.redirect_uri

    def authorize_url(self, login: LoginState) -> str:
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.client_id,
                "scope": SCOPE,
                "redirect_uri": self.redirect_uri,
                "state": login.state,
                "code_challenge": login.challenge,
                "code_challenge_method": "S256",
            }
        )
        return f"{self.base_url}/oauth2/authorize?{query}"

    async def identify(self, code: str, login: LoginState) -> DiscordUser:
        """Exchange the code (proving the PKCE verifier) and read who logged in."""
        async with httpx.AsyncClient(
            base_url=f"{self.base_url}{API_PATH}", timeout=HTTP_TIMEOUT_SECONDS
        ) as http:
            try:
                token = await self._exchange(http, code, login.verifier)
                me = await http.get("/users/@me", headers={"Authorization": f"Bearer {token}"})
            except httpx.HTTPError as exc:
                log.warning("discord unreachable", status="error", error=repr(exc))
                raise _discord_unavailable() from exc
        if me.status_code != 200:
            log.warning("discord refused users/@me", status="error", code=me.status_code)
            raise _discord_unavailable()
        user = _json_object(me)
        try:
            return DiscordUser(
                id=str(user["id"]), username=str(user.get("global_name") or user["username"])
            )
        except KeyError as exc:
            raise _discord_unavailable() from exc

    async def _exchange(self, http: httpx.AsyncClient, code: str, verifier: str) -> str:
        response = await http.post(
            "/oauth2/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": self.redirect_uri,
                "code_verifier": verifier,
            },
            auth=(self.client_id, self.client_secret),
        )
        if response.status_code == 401:
            # invalid_client: our own credentials are wrong, no coach can fix that.
            log.error("discord refused DISCORD_CLIENT_ID/SECRET", status="error")
            raise ApiError(
                503,
                "login_misconfigured",
                "Discord login is misconfigured on the server; tell the practice's owner.",
            )
        if response.status_code == 400:
            # invalid_grant: an expired or reused code, or a verifier that does not match.
            log.warning("discord refused the code", status="denied")
            raise ApiError(
                400,
                "oauth_code_rejected",
                "Discord did not accept this login (it may have expired); log in again.",
            )
        if response.status_code != 200:
            log.warning("discord token endpoint failed", status="error", code=response.status_code)
            raise _discord_unavailable()
        token = _json_object(response).get("access_token")
        if not isinstance(token, str):
            raise _discord_unavailable()
        return token


def _json_object(response: httpx.Response) -> dict[str, Any]:
    """Discord's JSON answer; anything else means Discord is not itself right now."""
    try:
        body = response.json()
    except ValueError as exc:
        raise _discord_unavailable() from exc
    if not isinstance(body, dict):
        raise _discord_unavailable()
    return body


def _discord_unavailable() -> ApiError:
    return ApiError(502, "discord_unavailable", "Discord could not be reached; try again shortly.")
