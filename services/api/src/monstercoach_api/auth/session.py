"""Signed cookies: the coach's session and the short-lived OAuth login state.

Both are itsdangerous-signed JSON carrying their own expiry (``exp``), checked on every
read: the browser's ``Max-Age`` is only a courtesy, a copied cookie must stop working on
the server too. Nothing is stored server-side, so a session ends when it expires or when
the coach leaves ``COACH_DISCORD_IDS`` (checked on every request).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from starlette.responses import Response

from .schemas import CoachSession

SESSION_COOKIE = "mc_session"
OAUTH_COOKIE = "mc_oauth"
LOGIN_WINDOW = timedelta(minutes=10)
"""How long a started login may take at Discord before its state cookie expires."""


class InvalidToken(Exception):
    """Not signed by us, tampered with, or malformed."""


class ExpiredToken(InvalidToken):
    """Signed by us, but past its ``exp``."""


class SignedToken:
    """JSON payloads signed with the session key, one ``salt`` per purpose so a token
    minted for one cookie is never accepted as the other."""

    def __init__(self, key: str, salt: str):
        self._serializer = URLSafeSerializer(key, salt=salt)

    def dumps(self, payload: dict[str, Any], expires_at: datetime) -> str:
        return self._serializer.dumps({**payload, "exp": int(expires_at.timestamp())})

    def loads(self, token: str, now: datetime) -> dict[str, Any]:
        try:
            payload = self._serializer.loads(token)
        except BadSignature as exc:
            raise InvalidToken("bad signature") from exc
        if not isinstance(payload, dict) or not isinstance(payload.get("exp"), int):
            raise InvalidToken("malformed")
        if payload["exp"] <= now.timestamp():
            raise ExpiredToken("expired")
        return payload


@dataclass(frozen=True)
class LoginState:
    """What the callback needs to finish the login this browser started."""

    state: str
    verifier: str

    @classmethod
    def new(cls) -> LoginState:
        # RFC 7636: 43-128 unreserved characters; 64 random bytes give 86.
        return cls(state=secrets.token_urlsafe(32), verifier=secrets.token_urlsafe(64))

    @property
    def challenge(self) -> str:
        digest = hashlib.sha256(self.verifier.encode("ascii")).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class Sessions:
    """Issues and reads both cookies; one per app, built from the settings."""

    def __init__(self, key: str, ttl: timedelta, secure: bool):
        self.ttl = ttl
        self.secure = secure
        self._session = SignedToken(key, salt="monstercoach.session")
        self._login = SignedToken(key, salt="monstercoach.oauth-login")

    def issue(self, discord_user_id: str, username: str, now: datetime) -> CoachSession:
        return CoachSession(
            discord_user_id=discord_user_id, username=username, expires_at=now + self.ttl
        )

    def encode(self, session: CoachSession) -> str:
        payload = {"sub": session.discord_user_id, "name": session.username}
        return self._session.dumps(payload, session.expires_at)

    def decode(self, token: str, now: datetime) -> CoachSession:
        payload = self._session.loads(token, now)
        try:
            return CoachSession(
                discord_user_id=payload["sub"],
                username=payload["name"],
                expires_at=datetime.fromtimestamp(payload["exp"], UTC),
            )
        except (KeyError, ValueError) as exc:  # pydantic's ValidationError is a ValueError
            raise InvalidToken("malformed") from exc

    def set_session_cookie(self, response: Response, session: CoachSession) -> None:
        response.set_cookie(
            SESSION_COOKIE,
            self.encode(session),
            max_age=int(self.ttl.total_seconds()),
            httponly=True,
            secure=self.secure,
            # Lax: sent on top-level navigation (links into Battle Station), never on a
            # cross-site POST, which is what keeps coach writes safe from CSRF.
            samesite="lax",
        )

    def clear_session_cookie(self, response: Response) -> None:
        response.delete_cookie(SESSION_COOKIE, httponly=True, secure=self.secure, samesite="lax")

    def set_login_cookie(self, response: Response, login: LoginState, now: datetime) -> None:
        token = self._login.dumps(
            {"state": login.state, "verifier": login.verifier}, now + LOGIN_WINDOW
        )
        response.set_cookie(
            OAUTH_COOKIE,
            token,
            max_age=int(LOGIN_WINDOW.total_seconds()),
            httponly=True,
            secure=self.secure,
            # Lax is also what lets it come back on Discord's redirect (a top-level GET).
            samesite="lax",
        )

    def clear_login_cookie(self, response: Response) -> None:
        response.delete_cookie(OAUTH_COOKIE, httponly=True, secure=self.secure, samesite="lax")

    def read_login(self, token: str, now: datetime) -> LoginState:
        payload = self._login.loads(token, now)
        state, verifier = payload.get("state"), payload.get("verifier")
        if not (isinstance(state, str) and isinstance(verifier, str)):
            raise InvalidToken("malformed")
        return LoginState(state=state, verifier=verifier)
