"""Coach login through the real OAuth flow against a fake Discord over loopback HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest
from pydantic import SecretStr

from monstercoach_api.app import create_app
from monstercoach_api.auth.session import SESSION_COOKIE, Sessions
from monstercoach_api.settings import ApiSettings, SettingsError
from monstercoach_kit.settings import Environment, KitSettings

from .conftest import COACH_ID, SESSION_SECRET, STRANGER_ID
from .fake_discord import FakeDiscord
from .helpers import running_app


async def consent_at_discord(client: httpx.AsyncClient) -> httpx.URL:
    """Start a login and click "Authorize" at (fake) Discord; returns the callback URL."""
    start = await client.get("/auth/login")
    assert start.status_code == 302
    async with httpx.AsyncClient() as browser:  # a real HTTP request to the fake
        consent = await browser.get(start.headers["location"])
    assert consent.status_code == 302
    return httpx.URL(consent.headers["location"])


async def log_in(client: httpx.AsyncClient) -> httpx.Response:
    callback = await consent_at_discord(client)
    return await client.get(callback.path, params=callback.params)


def session_cookie(client: httpx.AsyncClient) -> str | None:
    return client.cookies.get(SESSION_COOKIE)


class TestLogin:
    async def test_coach_logs_in_and_is_recognised(
        self,
        kit_settings: KitSettings,
        api_settings: ApiSettings,
        discord: FakeDiscord,
        pool: asyncpg.Pool,
    ) -> None:
        async with running_app(create_app(kit_settings, api_settings)) as client:
            assert (await client.get("/auth/me")).status_code == 401
            done = await log_in(client)
            assert done.status_code == 303
            assert done.headers["location"] == "https://test/battle-station"
            me = await client.get("/auth/me")
        assert me.status_code == 200
        assert me.json()["discord_user_id"] == COACH_ID
        assert me.json()["username"] == "Coach Kim"
        # The PKCE verifier went to the token endpoint, never through the browser.
        assert len(discord.token_requests[0]["code_verifier"]) >= 43
        audit = await pool.fetch("SELECT coach_discord_id, action FROM audit_log")
        assert [tuple(row) for row in audit] == [(COACH_ID, "auth.login")]

    async def test_session_cookie_is_httponly_secure_lax_with_expiry(
        self, kit_settings: KitSettings, api_settings: ApiSettings, pool: asyncpg.Pool
    ) -> None:
        async with running_app(create_app(kit_settings, api_settings)) as client:
            done = await log_in(client)
        cookie = next(
            value
            for value in done.headers.get_list("set-cookie")
            if value.startswith(f"{SESSION_COOKIE}=")
        ).lower()
        assert "httponly" in cookie
        assert "secure" in cookie
        assert "samesite=lax" in cookie
        assert f"max-age={12 * 3600}" in cookie

    async def test_state_mismatch_is_refused(
        self, kit_settings: KitSettings, api_settings: ApiSettings
    ) -> None:
        async with running_app(create_app(kit_settings, api_settings)) as client:
            callback = await consent_at_discord(client)
            forged = await client.get(
                callback.path, params={**dict(callback.params), "state": "someone-elses"}
            )
            assert forged.status_code == 400
            assert forged.json()["error"]["code"] == "oauth_state_mismatch"
            assert session_cookie(client) is None

    async def test_callback_without_a_started_login_is_refused(
        self, kit_settings: KitSettings, api_settings: ApiSettings
    ) -> None:
        async with running_app(create_app(kit_settings, api_settings)) as client:
            callback = await consent_at_discord(client)
            client.cookies.clear()  # a victim's browser fed an attacker's callback link
            response = await client.get(callback.path, params=callback.params)
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "oauth_state_mismatch"

    async def test_discord_user_who_is_not_a_coach_is_forbidden(
        self,
        kit_settings: KitSettings,
        api_settings: ApiSettings,
        discord: FakeDiscord,
        pool: asyncpg.Pool,
    ) -> None:
        discord.user = {"id": STRANGER_ID, "username": "stranger", "global_name": None}
        async with running_app(create_app(kit_settings, api_settings)) as client:
            response = await log_in(client)
            assert response.status_code == 403
            error = response.json()["error"]
            assert error["code"] == "not_a_coach"
            assert STRANGER_ID in error["message"]
            assert session_cookie(client) is None
            assert (await client.get("/auth/me")).status_code == 401
        assert await pool.fetchval("SELECT count(*) FROM audit_log") == 0

    @pytest.mark.parametrize(
        ("who", "expected"),
        [(STRANGER_ID, "not_a_coach"), ("forged-state", "oauth_state_mismatch")],
    )
    async def test_a_browser_that_cannot_log_in_goes_back_to_the_login_page(
        self,
        kit_settings: KitSettings,
        api_settings: ApiSettings,
        discord: FakeDiscord,
        who: str,
        expected: str,
    ) -> None:
        if who == STRANGER_ID:
            discord.user = {"id": STRANGER_ID, "username": "stranger", "global_name": None}
        async with running_app(create_app(kit_settings, api_settings)) as client:
            callback = await consent_at_discord(client)
            params = dict(callback.params)
            if who == "forged-state":
                params["state"] = "someone-elses"
            response = await client.get(
                callback.path, params=params, headers={"accept": "text/html,*/*;q=0.8"}
            )
            assert response.status_code == 303
            assert response.headers["location"] == (
                f"https://test/battle-station/login?error={expected}"
            )
            assert session_cookie(client) is None

    async def test_cancel_at_discord_is_a_clear_400(
        self, kit_settings: KitSettings, api_settings: ApiSettings, discord: FakeDiscord
    ) -> None:
        discord.deny = True
        async with running_app(create_app(kit_settings, api_settings)) as client:
            response = await log_in(client)
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "oauth_denied"

    async def test_a_code_replayed_after_login_is_refused_by_discord(
        self, kit_settings: KitSettings, api_settings: ApiSettings, pool: asyncpg.Pool
    ) -> None:
        async with running_app(create_app(kit_settings, api_settings)) as client:
            callback = await consent_at_discord(client)
            login_cookie = dict(client.cookies)
            assert (await client.get(callback.path, params=callback.params)).status_code == 303
            client.cookies.update(login_cookie)  # replay the whole callback
            replay = await client.get(callback.path, params=callback.params)
        assert replay.status_code == 400
        assert replay.json()["error"]["code"] == "oauth_code_rejected"

    async def test_wrong_client_secret_is_a_server_problem_not_the_coachs(
        self, kit_settings: KitSettings, api_settings: ApiSettings
    ) -> None:
        wrong = api_settings.model_copy(
            update={"discord_client_secret": SecretStr("not-the-real-secret")}
        )
        async with running_app(create_app(kit_settings, wrong)) as client:
            response = await log_in(client)
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "login_misconfigured"

    async def test_login_without_discord_credentials_says_what_is_missing(
        self, kit_settings: KitSettings
    ) -> None:
        unconfigured = ApiSettings(_env_file=None, ingest=False)
        async with running_app(create_app(kit_settings, unconfigured)) as client:
            response = await client.get("/auth/login")
        assert response.status_code == 503
        assert "DISCORD_CLIENT_ID" in response.json()["error"]["message"]


class TestSession:
    async def test_forged_cookie_is_401(
        self, kit_settings: KitSettings, api_settings: ApiSettings
    ) -> None:
        now = datetime.now(UTC)
        other_key = Sessions("not-our-secret-" * 3, timedelta(hours=12), secure=True)
        forged = other_key.encode(other_key.issue(COACH_ID, "Mallory", now))
        async with running_app(create_app(kit_settings, api_settings)) as client:
            for cookie in (forged, "garbage", forged[:-2]):
                client.cookies.set(SESSION_COOKIE, cookie)
                response = await client.get("/auth/me")
                assert response.status_code == 401
                assert response.json()["error"]["code"] == "invalid_session"

    async def test_expired_cookie_is_401(
        self, kit_settings: KitSettings, api_settings: ApiSettings
    ) -> None:
        ours = Sessions(SESSION_SECRET, timedelta(hours=12), secure=True)
        yesterday = datetime.now(UTC) - timedelta(hours=13)
        expired = ours.encode(ours.issue(COACH_ID, "Coach Kim", yesterday))
        async with running_app(create_app(kit_settings, api_settings)) as client:
            client.cookies.set(SESSION_COOKIE, expired)
            response = await client.get("/auth/me")
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "session_expired"

    async def test_session_of_a_coach_since_removed_is_403(
        self, kit_settings: KitSettings, api_settings: ApiSettings
    ) -> None:
        ours = Sessions(SESSION_SECRET, timedelta(hours=12), secure=True)
        former = ours.encode(ours.issue(STRANGER_ID, "Former Coach", datetime.now(UTC)))
        async with running_app(create_app(kit_settings, api_settings)) as client:
            client.cookies.set(SESSION_COOKIE, former)
            response = await client.get("/auth/me")
        assert response.status_code == 403

    async def test_logout_ends_the_session(
        self, kit_settings: KitSettings, api_settings: ApiSettings, pool: asyncpg.Pool
    ) -> None:
        async with running_app(create_app(kit_settings, api_settings)) as client:
            await log_in(client)
            assert (await client.get("/auth/me")).status_code == 200
            out = await client.post("/auth/logout")
            assert out.status_code == 204
            assert session_cookie(client) is None
            assert (await client.get("/auth/me")).status_code == 401
        actions = await pool.fetch("SELECT action FROM audit_log ORDER BY id")
        assert [row["action"] for row in actions] == ["auth.login", "auth.logout"]


class TestDevLogin:
    async def test_is_off_by_default(
        self, kit_settings: KitSettings, api_settings: ApiSettings
    ) -> None:
        async with running_app(create_app(kit_settings, api_settings)) as client:
            response = await client.post("/auth/dev-login")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"

    async def test_logs_in_an_allowlisted_coach_from_loopback(
        self, kit_settings: KitSettings, api_settings: ApiSettings, pool: asyncpg.Pool
    ) -> None:
        enabled = api_settings.model_copy(update={"dev_login": True})
        async with running_app(create_app(kit_settings, enabled)) as client:
            assert (await client.post("/auth/dev-login")).status_code == 200
            me = await client.get("/auth/me")
            stranger = await client.post("/auth/dev-login", json={"discord_user_id": STRANGER_ID})
        assert me.json()["discord_user_id"] == COACH_ID
        assert stranger.status_code == 403
        assert await pool.fetchval("SELECT action FROM audit_log") == "auth.dev_login"

    async def test_refuses_a_request_from_another_machine(
        self, kit_settings: KitSettings, api_settings: ApiSettings
    ) -> None:
        enabled = api_settings.model_copy(update={"dev_login": True})
        app = create_app(kit_settings, enabled)
        async with running_app(app, peer=("203.0.113.7", 40000)) as client:
            response = await client.post("/auth/dev-login", headers={"Fly-Client-IP": "127.0.0.1"})
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "dev_login_not_local"

    def test_never_exists_in_production(
        self, kit_settings: KitSettings, api_settings: ApiSettings
    ) -> None:
        production = kit_settings.model_copy(update={"environment": Environment.PRODUCTION})
        with pytest.raises(SettingsError, match="API_DEV_LOGIN"):
            create_app(production, api_settings.model_copy(update={"dev_login": True}))
