"""A local fake of Discord's OAuth2 endpoints, served over real HTTP on loopback.

It keeps Discord's rules that the login depends on: the authorize page redirects back
with a one-time code bound to the client, the redirect URI and the PKCE challenge; the
token endpoint wants the client's credentials and the verifier whose SHA-256 is that
challenge; ``/users/@me`` answers only to a token it issued.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import socket
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from aiohttp import BasicAuth, web

API = "/api/v10"


@dataclass
class Grant:
    client_id: str
    redirect_uri: str
    challenge: str
    user: dict[str, Any]


@dataclass
class FakeDiscord:
    client_id: str
    client_secret: str
    user: dict[str, Any]
    """Who is logged in at Discord and clicks "Authorize"."""
    deny: bool = False
    """The user clicks "Cancel" instead."""
    grants: dict[str, Grant] = field(default_factory=dict)
    tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    url: str = ""

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/oauth2/authorize", self.authorize)
        app.router.add_post(f"{API}/oauth2/token", self.token)
        app.router.add_get(f"{API}/users/@me", self.me)
        return app

    async def authorize(self, request: web.Request) -> web.Response:
        query = request.query
        if query.get("client_id") != self.client_id or query.get("response_type") != "code":
            return web.json_response({"error": "invalid_request"}, status=400)
        if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            return web.json_response({"error": "invalid_request"}, status=400)
        redirect_uri = query["redirect_uri"]
        if self.deny:
            back = {"error": "access_denied", "state": query.get("state", "")}
        else:
            code = secrets.token_urlsafe(16)
            self.grants[code] = Grant(
                self.client_id, redirect_uri, query["code_challenge"], self.user
            )
            back = {"code": code, "state": query.get("state", "")}
        raise web.HTTPFound(f"{redirect_uri}?{urlencode(back)}")

    async def token(self, request: web.Request) -> web.Response:
        form = {key: str(value) for key, value in (await request.post()).items()}
        self.token_requests.append(form)
        try:
            auth = BasicAuth.decode(request.headers.get("Authorization", ""))
        except ValueError:
            return web.json_response({"error": "invalid_client"}, status=401)
        if (auth.login, auth.password) != (self.client_id, self.client_secret):
            return web.json_response({"error": "invalid_client"}, status=401)
        grant = self.grants.pop(form.get("code", ""), None)  # a code works once
        if (
            form.get("grant_type") != "authorization_code"
            or grant is None
            or grant.redirect_uri != form.get("redirect_uri")
            or _s256(form.get("code_verifier", "")) != grant.challenge
        ):
            return web.json_response({"error": "invalid_grant"}, status=400)
        access_token = secrets.token_urlsafe(24)
        self.tokens[access_token] = grant.user
        return web.json_response(
            {
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": 604800,
                "scope": "identify",
            }
        )

    async def me(self, request: web.Request) -> web.Response:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        user = self.tokens.get(token) if scheme == "Bearer" else None
        if user is None:
            return web.json_response({"message": "401: Unauthorized", "code": 0}, status=401)
        return web.json_response(user)


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


async def serve(fake: FakeDiscord) -> web.AppRunner:
    """Listen on an ephemeral loopback port; sets ``fake.url``."""
    runner = web.AppRunner(fake.app(), access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    await web.SockSite(runner, sock).start()
    fake.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    return runner
